/* SPDX-License-Identifier: Apache-2.0 */
/* Stepping into a pod's network namespace and back. sluice-cni is single-threaded. */
#ifndef SLUICE_CNI_NETNS_H
#define SLUICE_CNI_NETNS_H

/* Opens path and checks it is a network namespace; fd or negative errno. */
int netns_open(const char *path);
/* Switches this thread into ns_fd; *saved_fd remembers where it was. */
int netns_enter(int ns_fd, int *saved_fd);
/* Switches back to saved_fd and closes it. */
int netns_leave(int saved_fd);

#endif
