/* SPDX-License-Identifier: Apache-2.0 */
/* The release this source tree builds: `sluice version`, the agent's log and its metrics. */
#ifndef SLUICE_VERSION_H
#define SLUICE_VERSION_H

#define SLUICE_VERSION "0.1.0"

#endif
