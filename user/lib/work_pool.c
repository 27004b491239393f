// SPDX-License-Identifier: Apache-2.0
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "lib/work_pool.h"

/* Helper threads at most: work_pool_start() is asked for a few. */
#define HELPERS_MAX 8

struct work_pool {
	pthread_mutex_t lock;
	pthread_cond_t work;	/* an item was published, or stop */
	pthread_cond_t done_cv;	/* the round's last published item was done */
	pthread_t tids[HELPERS_MAX];
	size_t n_tids;
	work_pool_fn fn;
	void *ctx;
	size_t published;	/* items [0, published) may be taken; under lock */
	size_t next;		/* the next item to take; under lock */
	size_t done;		/* items finished this round; under lock */
	bool stop;
};

/* Takes the next published item, if any; called and returns with the lock held. */
static bool take(struct work_pool *p, size_t *i)
{
	if (p->next >= p->published)
		return false;
	*i = p->next++;
	return true;
}

/* Does item i without the lock, then counts it. */
static void run(struct work_pool *p, size_t i)
{
	pthread_mutex_unlock(&p->lock);
	p->fn(p->ctx, i);
	pthread_mutex_lock(&p->lock);
	if (++p->done == p->published)
		pthread_cond_broadcast(&p->done_cv);
}

static void *helper(void *arg)
{
	struct work_pool *p = arg;
	size_t i;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		if (take(p, &i))
			run(p, i);
		else
			pthread_cond_wait(&p->work, &p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct work_pool *work_pool_start(size_t helpers, work_pool_fn fn, void *ctx)
{
	struct work_pool *p = calloc(1, sizeof(*p));
	size_t i;

	if (!p)
		return NULL;
	p->fn = fn;
	p->ctx = ctx;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	for (i = 0; i < helpers && i < HELPERS_MAX; i++)
		if (!pthread_create(&p->tids[p->n_tids], NULL, helper, p))
			p->n_tids++;
	return p;
}

void work_pool_publish(struct work_pool *p, size_t n)
{
	pthread_mutex_lock(&p->lock);
	p->published = n;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
}

void work_pool_finish(struct work_pool *p, size_t n)
{
	size_t i;

	pthread_mutex_lock(&p->lock);
	p->published = n;
	pthread_cond_broadcast(&p->work);
	while (p->done < n) {
		if (take(p, &i))
			run(p, i);
		else
			pthread_cond_wait(&p->done_cv, &p->lock);
	}
	p->published = p->next = p->done = 0;
	pthread_mutex_unlock(&p->lock);
}

void work_pool_stop(struct work_pool *p)
{
	size_t i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->n_tids; i++)
		pthread_join(p->tids[i], NULL);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done_cv);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

size_t work_pool_helpers(const struct work_pool *p)
{
	return p->n_tids;
}
