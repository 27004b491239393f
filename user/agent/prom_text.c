// SPDX-License-Identifier: Apache-2.0
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/prom_text.h"

void prom_buf_free(struct prom_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

static bool buf_room(struct prom_buf *b, size_t more)
{
	size_t cap;
	char *s;

	if (b->failed)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	s = realloc(b->s, cap);
	if (!s) {
		b->failed = true;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

static void buf_putc(struct prom_buf *b, char c)
{
	if (!buf_room(b, 1))
		return;
	b->s[b->len++] = c;
	b->s[b->len] = '\0';
}

static void buf_puts(struct prom_buf *b, const char *s)
{
	size_t n = strlen(s);

	if (!buf_room(b, n))
		return;
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

void prom_printf(struct prom_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_room(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* HELP text escapes backslash and newline; label values also the double quote. */
static void put_escaped(struct prom_buf *b, const char *s, bool label)
{
	for (; *s; s++) {
		if (*s == '\\')
			buf_puts(b, "\\\\");
		else if (*s == '\n')
			buf_puts(b, "\\n");
		else if (label && *s == '"')
			buf_puts(b, "\\\"");
		else
			buf_putc(b, *s);
	}
}

void prom_family(struct prom_buf *b, const char *name, const char *type, const char *help)
{
	prom_printf(b, "# HELP %s ", name);
	put_escaped(b, help, false);
	prom_printf(b, "\n# TYPE %s %s\n", name, type);
}

static void sample(struct prom_buf *b, const char *name, const char *value, va_list ap)
{
	const char *k, *v;
	bool first = true;

	buf_puts(b, name);
	while ((k = va_arg(ap, const char *))) {
		v = va_arg(ap, const char *);
		buf_puts(b, first ? "{" : ",");
		buf_puts(b, k);
		buf_puts(b, "=\"");
		put_escaped(b, v ? v : "", true);
		buf_putc(b, '"');
		first = false;
	}
	if (!first)
		buf_putc(b, '}');
	buf_putc(b, ' ');
	buf_puts(b, value);
	buf_putc(b, '\n');
}

void prom_u64(struct prom_buf *b, const char *name, __u64 v, ...)
{
	char value[24];
	va_list ap;

	snprintf(value, sizeof(value), "%llu", (unsigned long long)v);
	va_start(ap, v);
	sample(b, name, value, ap);
	va_end(ap);
}

void prom_double(struct prom_buf *b, const char *name, double v, ...)
{
	char value[32];
	va_list ap;

	prom_format_double(v, value, sizeof(value));
	va_start(ap, v);
	sample(b, name, value, ap);
	va_end(ap);
}

void prom_format_double(double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "NaN");
	else if (isinf(v))
		snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
	else if (snprintf(buf, len, "%.15g", v), strtod(buf, NULL) != v)
		snprintf(buf, len, "%.17g", v);
}

const double metrics_latency_bounds[METRICS_LATENCY_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

void metrics_histogram_observe(struct metrics_histogram *h, double v)
{
	size_t i;

	for (i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
		if (v <= metrics_latency_bounds[i]) {
			h->buckets[i]++;
			break;
		}
	}
	h->count++;
	h->sum += v;
}

void prom_histogram(struct prom_buf *b, const char *name, const struct metrics_histogram *h,
		    const char *label, const char *value)
{
	char bucket[128], sum[128], count[128], le[32];
	__u64 cum = 0;
	size_t i;

	snprintf(bucket, sizeof(bucket), "%s_bucket", name);
	snprintf(sum, sizeof(sum), "%s_sum", name);
	snprintf(count, sizeof(count), "%s_count", name);
	for (i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
		cum += h->buckets[i];
		prom_format_double(metrics_latency_bounds[i], le, sizeof(le));
		prom_u64(b, bucket, cum, label, value, "le", le, NULL);
	}
	prom_u64(b, bucket, h->count, label, value, "le", "+Inf", NULL);
	prom_double(b, sum, h->sum, label, value, NULL);
	prom_u64(b, count, h->count, label, value, NULL);
}
