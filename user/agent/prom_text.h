/* SPDX-License-Identifier: Apache-2.0 */
/* Writing the Prometheus text exposition format 0.0.4: families, samples, histograms. */
#ifndef SLUICE_AGENT_PROM_TEXT_H
#define SLUICE_AGENT_PROM_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* Finite buckets of the reconcile histogram, from 100 us to 10 s. */
#define METRICS_LATENCY_BUCKETS 16

/* A growing text buffer; after an allocation failure it stays failed. */
struct prom_buf {
	char *s;
	size_t len, cap;
	bool failed;
};

void prom_buf_free(struct prom_buf *b);
/* printf into the buffer. */
void prom_printf(struct prom_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "# HELP name help" (help escaped) and "# TYPE name type". */
void prom_family(struct prom_buf *b, const char *name, const char *type, const char *help);
/*
 * One sample line: name, labels as name/value pairs ending with NULL (values
 * escaped), and the value. Whole numbers go as u64, so that counters past
 * 2^53 stay exact.
 */
void prom_u64(struct prom_buf *b, const char *name, __u64 v, ...)
	__attribute__((sentinel));
void prom_double(struct prom_buf *b, const char *name, double v, ...)
	__attribute__((sentinel));
/* A float as the format writes it: shortest round-trip text, NaN, +Inf, -Inf. */
void prom_format_double(double v, char *buf, size_t len);

/* A histogram: counts per finite bucket (not cumulative), all observations and their sum. */
struct metrics_histogram {
	__u64 buckets[METRICS_LATENCY_BUCKETS];
	__u64 count;
	double sum;
};

/* The upper bounds (seconds) of the finite buckets, ascending. */
extern const double metrics_latency_bounds[METRICS_LATENCY_BUCKETS];

void metrics_histogram_observe(struct metrics_histogram *h, double v);
/* The _bucket (cumulative, le), _sum and _count lines of one labelled histogram. */
void prom_histogram(struct prom_buf *b, const char *name, const struct metrics_histogram *h,
		    const char *label, const char *value);

#endif
