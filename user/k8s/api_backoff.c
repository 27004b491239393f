// SPDX-License-Identifier: Apache-2.0
#include "k8s/api_backoff.h"

unsigned int api_backoff_next(struct api_backoff *b, unsigned int rnd)
{
	unsigned int step = API_BACKOFF_MIN_MS, i, d;

	for (i = 0; i < b->failures && step < API_BACKOFF_MAX_MS; i++)
		step *= 2;
	if (step > API_BACKOFF_MAX_MS)
		step = API_BACKOFF_MAX_MS;
	/* Once at the maximum, counting on could only overflow. */
	if (step < API_BACKOFF_MAX_MS)
		b->failures++;
	d = step / 2 + rnd % (step / 2 + 1);
	return d < API_BACKOFF_MIN_MS ? API_BACKOFF_MIN_MS : d;
}

void api_backoff_reset(struct api_backoff *b)
{
	b->failures = 0;
}
