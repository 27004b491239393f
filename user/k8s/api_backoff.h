/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Delays between retries of a failing request: doubling from
 * API_BACKOFF_MIN_MS to API_BACKOFF_MAX_MS, back to the start after a
 * success. Each delay is drawn from the upper half of its step ("equal
 * jitter"), so that agents that lost the API server together do not all
 * come back at the same instant.
 */
#ifndef SLUICE_K8S_API_BACKOFF_H
#define SLUICE_K8S_API_BACKOFF_H

/* First delay after a failure: a blip costs little. */
#define API_BACKOFF_MIN_MS 200
/* Longest delay: an API server back from an outage is noticed within this. */
#define API_BACKOFF_MAX_MS 30000

struct api_backoff {
	unsigned int failures;	/* since the last success */
};

/* The delay before the next attempt, in [MIN, MAX]; rnd is any random number. */
unsigned int api_backoff_next(struct api_backoff *b, unsigned int rnd);
void api_backoff_reset(struct api_backoff *b);

#endif
