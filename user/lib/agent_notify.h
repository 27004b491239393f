/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How the CNI plugin tells the agent that the node's endpoints changed and
 * waits until the agent has programmed their policy, so a new pod never
 * runs a moment outside its NetworkPolicy. An abstract unix socket named
 * after the pin root: it lives in the network namespace agent and plugin
 * share, and vanishes with the agent, leaving nothing to clean up.
 */
#ifndef SLUICE_AGENT_NOTIFY_H
#define SLUICE_AGENT_NOTIFY_H

#include <stddef.h>

#include "lib/pins.h"

/* Agent side: a non-blocking listening socket, or -errno. */
int agent_notify_listen(const struct sluice_pins *pins);
/* Agent side: accepts one request; the fd to answer on, or -errno (-EAGAIN: none waits). */
int agent_notify_accept(int listen_fd);
/* Agent side: answers a request with 0 (done) or a negative errno, and closes it. */
void agent_notify_reply(int fd, int result);

/*
 * Plugin side: asks the agent to bring policy in step and waits up to
 * timeout_ms. 0 when done; -ECONNREFUSED or -ENOENT when no agent listens
 * (none runs, or it has not finished its first sync); -ETIMEDOUT; or the
 * agent's error. why says what happened.
 */
int agent_notify_request(const struct sluice_pins *pins, int timeout_ms, char *why, size_t len);

#endif
