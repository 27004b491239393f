// SPDX-License-Identifier: Apache-2.0
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/work_pool.h"

/* Helper threads at most: work_pool_start() is asked for a few. */
#define HELPERS_MAX 8
/* The caller's place among the threads that may run an item. */
#define CALLER HELPERS_MAX
/* A thread running no item. */
#define IDLE SIZE_MAX

struct work_pool {
	pthread_mutex_t lock;
	pthread_cond_t work;	/* an item was published, or stop */
	pthread_cond_t done_cv;	/* an item was done */
	pthread_t tids[HELPERS_MAX];
	size_t n_tids;
	work_pool_fn fn;
	void *ctx;
	size_t published;	/* items [0, published) may be taken; under lock */
	size_t next;		/* the next item to take; under lock */
	/* The item each thread runs (IDLE: none), helpers then the caller; under lock. */
	size_t running[HELPERS_MAX + 1];
	bool stop;
};

struct helper_arg {
	struct work_pool *p;
	size_t self;
};

/* Takes the next published item, if any; called and returns with the lock held. */
static bool take(struct work_pool *p, size_t *i)
{
	if (p->next >= p->published)
		return false;
	*i = p->next++;
	return true;
}

/* Thread `self` does item i without the lock. */
static void run(struct work_pool *p, size_t self, size_t i)
{
	p->running[self] = i;
	pthread_mutex_unlock(&p->lock);
	p->fn(p->ctx, i);
	pthread_mutex_lock(&p->lock);
	p->running[self] = IDLE;
	pthread_cond_broadcast(&p->done_cv);
}

/* Are items [0, n) all done? Items are taken in order, so only a running one can be missing. */
static bool all_done(const struct work_pool *p, size_t n)
{
	size_t t;

	if (p->next < n)
		return false;
	for (t = 0; t <= HELPERS_MAX; t++)
		if (p->running[t] != IDLE && p->running[t] < n)
			return false;
	return true;
}

static void *helper(void *arg)
{
	struct helper_arg *a = arg;
	struct work_pool *p = a->p;
	size_t i, self = a->self;

	free(a);
	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		if (take(p, &i))
			run(p, self, i);
		else
			pthread_cond_wait(&p->work, &p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct work_pool *work_pool_start(size_t helpers, work_pool_fn fn, void *ctx)
{
	struct work_pool *p = calloc(1, sizeof(*p));
	struct helper_arg *a;
	size_t i;

	if (!p)
		return NULL;
	p->fn = fn;
	p->ctx = ctx;
	for (i = 0; i <= HELPERS_MAX; i++)
		p->running[i] = IDLE;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	for (i = 0; i < helpers && i < HELPERS_MAX; i++) {
		a = malloc(sizeof(*a));
		if (!a)
			break;
		*a = (struct helper_arg){ .p = p, .self = p->n_tids };
		if (pthread_create(&p->tids[p->n_tids], NULL, helper, a)) {
			free(a);
			continue;
		}
		p->n_tids++;
	}
	return p;
}

void work_pool_publish(struct work_pool *p, size_t n)
{
	pthread_mutex_lock(&p->lock);
	if (n > p->published) {
		p->published = n;
		pthread_cond_signal(&p->work);
	}
	pthread_mutex_unlock(&p->lock);
}

void work_pool_wait(struct work_pool *p, size_t n)
{
	size_t i;

	pthread_mutex_lock(&p->lock);
	if (n > p->published) {
		p->published = n;
		pthread_cond_broadcast(&p->work);
	}
	while (!all_done(p, n)) {
		/* Only items the caller waits for: later ones stay with the helpers. */
		if (p->next < n && take(p, &i))
			run(p, CALLER, i);
		else
			pthread_cond_wait(&p->done_cv, &p->lock);
	}
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
