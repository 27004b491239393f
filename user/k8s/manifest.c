// SPDX-License-Identifier: Apache-2.0
/*
 * The manifest directory as a state source (rules in manifest.h): each file
 * is read into the objects it contributes; after every change the winning
 * definition of each object is compared with what the sink last received,
 * and only the differences are delivered. inotify and a settle timer sit
 * behind one epoll fd for the agent's poll loop.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "k8s/manifest.h"
#include "k8s/yaml_json.h"
#include "lib/log.h"

/* Entry events that can change what a file holds. */
#define WATCH_FILE_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE)
/* The directory itself going away. */
#define WATCH_DIR_EVENTS (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)
/* Room for a batch of events, each possibly with the longest name. */
#define EVENT_BUF_SIZE (16 * (sizeof(struct inotify_event) + NAME_MAX + 1))
/* Units for the settle timer's deadlines. */
#define NSEC_PER_MSEC 1000000L
#define NSEC_PER_SEC 1000000000L

/* An object's identity in log lines: "Service default/web", "Node n1". */
#define ID_FMT "%s %s%s%s"
#define ID_ARGS(o) k8s_kind_name((o)->kind), (o)->ns, *(o)->ns ? "/" : "", (o)->name

/* An object as a file defines it, or as the sink last received it. */
struct mobj {
	enum k8s_kind kind;
	const char *ns;		/* in obj; "" for cluster-scoped kinds */
	const char *name;	/* in obj */
	cJSON *obj;
	bool won;		/* in a file: the winner the sink's entry borrows */
	bool owned;		/* in the sink's entries: its file let go of obj, the entry frees it */
};

struct mfile {
	char *name;
	struct mobj *objs;
	size_t n_objs;
	bool fresh;		/* read in this pass: its duplicates are news */
	bool gone;		/* deleted in this pass: leaves the list when the pass ends */
};

struct manifest_source {
	char *dir;
	struct k8s_sink sink;
	int epfd, ifd, tfd;
	int wd;			/* the directory's inotify watch */
	bool watching;		/* false once the directory is gone */
	struct mfile *files;	/* sorted by name: later files win */
	size_t n_files;
	struct mobj *delivered;	/* what the sink holds, by identity: the winners, borrowed */
	size_t n_delivered;
	char **pending;		/* names to read when the directory settles */
	size_t n_pending;
	bool rescan;		/* read every file: at start, or events were lost */
	bool armed;		/* the settle timer runs */
	struct timespec first_change;
};

/* What one file's documents yield. */
struct collect {
	const char *dir, *file;
	unsigned int line;	/* of the current document */
	struct mobj *objs;
	size_t n, cap;
	bool oom;
};

static bool has_suffix(const char *s, const char *suffix)
{
	size_t len = strlen(s), n = strlen(suffix);

	return len > n && !strcmp(s + len - n, suffix);
}

static bool manifest_name(const char *name)
{
	/* Dotfiles include editors' swap and lock files. */
	return name[0] != '.' && (has_suffix(name, ".json") || has_suffix(name, ".yaml") ||
				  has_suffix(name, ".yml"));
}

static bool cluster_scoped(enum k8s_kind kind)
{
	return kind == K8S_KIND_NODE || kind == K8S_KIND_NAMESPACE;
}

/* Points ns and name into the (normalised) object. */
static void identify(struct mobj *o)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(o->obj, "metadata");
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(meta, "namespace");

	o->name = cJSON_GetObjectItemCaseSensitive(meta, "name")->valuestring;
	o->ns = cJSON_IsString(ns) ? ns->valuestring : "";
}

static int cmp_identity(const struct mobj *a, const struct mobj *b)
{
	int c;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	c = strcmp(a->ns, b->ns);
	return c ? c : strcmp(a->name, b->name);
}

static void free_objs(struct mobj *objs, size_t n)
{
	while (n--)
		cJSON_Delete(objs[n].obj);
	free(objs);
}

static int cmp_identity_v(const void *a, const void *b)
{
	return cmp_identity(a, b);
}

/*
 * Frees a file's objects but the winners the sink's entries borrow: those
 * entries own them from now on (the sink must still be told of their next
 * change or deletion, and DELETED carries the last state).
 */
static void release_objs(struct manifest_source *src, struct mobj *objs, size_t n)
{
	struct mobj *d;

	while (n--) {
		d = objs[n].won && src->n_delivered ?
			    bsearch(&objs[n], src->delivered, src->n_delivered,
				    sizeof(*src->delivered), cmp_identity_v) : NULL;
		if (d && d->obj == objs[n].obj)
			d->owned = true;
		else
			cJSON_Delete(objs[n].obj);
	}
	free(objs);
}

/*
 * The file's bytes with a NUL after them. -ENOENT when it is gone or is no
 * regular file: either way it contributes nothing.
 */
static int read_file(const char *dir, const char *name, char **out, size_t *len)
{
	char path[PATH_MAX], *buf = NULL, *nbuf;
	size_t cap, n = 0;
	struct stat st;
	ssize_t r;
	int fd, err = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	/* O_NONBLOCK: a FIFO named x.yaml must not stall the agent. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -ENOENT;
		goto out;
	}
	if (st.st_size > MANIFEST_FILE_MAX) {
		err = -EFBIG;
		goto out;
	}
	/* Sized from fstat with a byte to spare, grown if the file grows meanwhile. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap + 1);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		if (n == cap) {
			if (cap > MANIFEST_FILE_MAX) {
				err = -EFBIG;
				goto out;
			}
			cap = 2 * cap > MANIFEST_FILE_MAX + 1 ? MANIFEST_FILE_MAX + 1 : 2 * cap;
			nbuf = realloc(buf, cap + 1);
			if (!nbuf) {
				err = -ENOMEM;
				goto out;
			}
			buf = nbuf;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			goto out;
		}
		if (!r)
			break;
		n += r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return err;
}

/* Line and column of a position in buf, as the YAML errors give them. */
static void position(const char *buf, const char *at, struct yaml_json_error *err)
{
	const char *p;

	err->line = 1;
	err->column = 1;
	for (p = buf; p < at; p++) {
		if (*p == '\n') {
			err->line++;
			err->column = 1;
		} else {
			err->column++;
		}
	}
}

/* The first key an object repeats, anywhere in v: cJSON keeps both copies. */
static const char *duplicate_key(const cJSON *v)
{
	const cJSON *a, *b;
	const char *k;

	cJSON_ArrayForEach(a, v) {
		if (cJSON_IsObject(v))
			for (b = a->next; b; b = b->next)
				if (!strcmp(a->string, b->string))
					return a->string;
		k = duplicate_key(a);
		if (k)
			return k;
	}
	return NULL;
}

/* A .json file is one JSON value, with the rules YAML files follow. */
static int parse_json(const char *buf, size_t len, struct yaml_json_doc **docs,
		      size_t *n_docs, struct yaml_json_error *err)
{
	const char *end = NULL, *dup;
	cJSON *v;

	memset(err, 0, sizeof(*err));
	/* cJSON would stop at a NUL and take the rest for the end of the text. */
	end = memchr(buf, '\0', len);
	if (end) {
		position(buf, end, err);
		snprintf(err->reason, sizeof(err->reason), "a NUL byte in the file");
		return -1;
	}
	/* The terminator counts: text after the value is an error. */
	v = cJSON_ParseWithLengthOpts(buf, len + 1, &end, true);
	if (!v) {
		position(buf, end ? end : buf, err);
		snprintf(err->reason, sizeof(err->reason), "invalid JSON");
		return -1;
	}
	dup = duplicate_key(v);
	if (dup) {
		snprintf(err->reason, sizeof(err->reason), "duplicate key %s", dup);
		cJSON_Delete(v);
		return -1;
	}
	*docs = malloc(sizeof(**docs));
	if (!*docs) {
		snprintf(err->reason, sizeof(err->reason), "out of memory");
		cJSON_Delete(v);
		return -1;
	}
	(*docs)->value = v;
	(*docs)->line = 1;
	*n_docs = 1;
	return 0;
}

/* Logs a skipped object: where, kind, namespace/name, and why. */
static void skip(const struct collect *c, int item, const char *kind, const char *ns,
		 const char *name, const char *why)
{
	char at[32] = "";

	if (item >= 0)
		snprintf(at, sizeof(at), " items[%d]", item);
	pr_warn("%s/%s:%u%s: skipping %s %s%s%s: %s", c->dir, c->file, c->line, at, kind,
		ns, *ns ? "/" : "", *name ? name : "(no name)", why);
}

static void keep(struct collect *c, enum k8s_kind kind, cJSON *v)
{
	struct mobj *o;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 8;

		o = reallocarray(c->objs, cap, sizeof(*o));
		if (!o) {
			c->oom = true;
			cJSON_Delete(v);
			return;
		}
		c->objs = o;
		c->cap = cap;
	}
	o = &c->objs[c->n++];
	o->kind = kind;
	o->obj = v;
	o->won = o->owned = false;
	identify(o);
}

/*
 * Node and Namespace have no namespace; any other kind without one is in
 * "default", as kubectl puts it. The object says so itself, for the sink.
 */
static bool normalise_namespace(enum k8s_kind kind, cJSON *meta)
{
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(meta, "namespace");
	cJSON *def;

	if (cluster_scoped(kind)) {
		cJSON_DeleteItemFromObjectCaseSensitive(meta, "namespace");
		return true;
	}
	if (cJSON_IsString(ns) && *ns->valuestring)
		return true;
	def = cJSON_CreateString("default");
	if (!def)
		return false;
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "namespace");
	cJSON_AddItemToObject(meta, "namespace", def);
	return true;
}

static void collect(struct collect *c, cJSON *v, int item);

/* A List (v1) stands for its items. Takes the list. */
static void collect_list(struct collect *c, cJSON *list, int item)
{
	cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items");
	int i = 0;

	if (items && !cJSON_IsArray(items) && !cJSON_IsNull(items)) {
		skip(c, item, "List", "", "", "items must be a list");
	} else if (items) {
		while (items->child)
			collect(c, cJSON_DetachItemViaPointer(items, items->child), i++);
	}
	cJSON_Delete(list);
}

/* Keeps v if it is an object sluice reads and can identify. Takes v. */
static void collect(struct collect *c, cJSON *v, int item)
{
	const cJSON *kind_s = cJSON_GetObjectItemCaseSensitive(v, "kind");
	const cJSON *api = cJSON_GetObjectItemCaseSensitive(v, "apiVersion");
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(v, "metadata");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(meta, "name");
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(meta, "namespace");
	const char *kind_name = cJSON_IsString(kind_s) ? kind_s->valuestring : "object";
	const char *name_s = cJSON_IsString(name) ? name->valuestring : "";
	const char *ns_s = cJSON_IsString(ns) ? ns->valuestring : "";
	const char *why = NULL;
	enum k8s_kind kind;

	if (cJSON_IsNull(v))	/* an empty document */
		goto drop;
	if (!cJSON_IsObject(v)) {
		pr_warn("%s/%s:%u: skipping a %s: only objects are read", c->dir, c->file,
			c->line, cJSON_IsArray(v) ? "list" : "scalar");
		goto drop;
	}
	if (!cJSON_IsString(kind_s) || !cJSON_IsString(api)) {
		skip(c, item, kind_name, ns_s, name_s, "kind and apiVersion must be strings");
		goto drop;
	}
	if (!strcmp(kind_s->valuestring, "List") && !strcmp(api->valuestring, "v1")) {
		collect_list(c, v, item);
		return;
	}
	if (!k8s_kind_of(v, &kind)) {
		pr_debug("%s/%s:%u: skipping %s %s %s%s%s: not a kind sluice reads", c->dir,
			 c->file, c->line, api->valuestring, kind_name, ns_s, *ns_s ? "/" : "",
			 name_s);
		goto drop;
	}
	if (!cJSON_IsObject(meta))
		why = "metadata must be an object";
	else if (!*name_s)
		why = "metadata.name must be a non-empty string";
	else if (ns && !cJSON_IsString(ns) && !cJSON_IsNull(ns))
		why = "metadata.namespace must be a string";
	if (why) {
		skip(c, item, kind_name, ns_s, name_s, why);
		goto drop;
	}
	if (!normalise_namespace(kind, meta)) {
		c->oom = true;
		goto drop;
	}
	keep(c, kind, v);
	return;
drop:
	cJSON_Delete(v);
}

static int cmp_file_name(const void *name, const void *file)
{
	return strcmp(name, ((const struct mfile *)file)->name);
}

static struct mfile *find_file(const struct manifest_source *src, const char *name)
{
	if (!src->n_files)
		return NULL;
	return bsearch(name, src->files, src->n_files, sizeof(*src->files), cmp_file_name);
}

static void drop_file(struct manifest_source *src, struct mfile *f)
{
	pr_info("%s/%s is gone: its %zu objects go too", src->dir, f->name, f->n_objs);
	release_objs(src, f->objs, f->n_objs);
	f->objs = NULL;
	f->n_objs = 0;
	f->gone = true;
}

/*
 * Re-reads one file into f, which holds what it had (nothing, for a file
 * not seen before). One that cannot be read or parsed keeps the objects it
 * had: a half-saved file must not delete what it defines. True when f now
 * holds what the file defines.
 */
static bool reload(struct manifest_source *src, struct mfile *f, const char *name)
{
	struct collect c = { .dir = src->dir, .file = name };
	struct yaml_json_error err;
	struct yaml_json_doc *docs;
	size_t len, n_docs, i;
	char *buf;
	int ret;

	ret = read_file(src->dir, name, &buf, &len);
	if (ret == -ENOENT) {
		if (f->name)
			drop_file(src, f);
		return false;
	}
	if (ret < 0) {
		pr_err("%s/%s: %s; keeping the %zu objects it defined", src->dir, name,
		       strerror(-ret), f->n_objs);
		return false;
	}
	if (has_suffix(name, ".json"))
		ret = parse_json(buf, len, &docs, &n_docs, &err);
	else
		ret = yaml_json_parse(buf, len, &docs, &n_docs, &err);
	free(buf);
	if (ret && err.line) {
		pr_err("%s/%s:%u:%u: %s; keeping the %zu objects it defined", src->dir, name,
		       err.line, err.column, err.reason, f->n_objs);
		return false;
	}
	if (ret) {
		pr_err("%s/%s: %s; keeping the %zu objects it defined", src->dir, name,
		       err.reason, f->n_objs);
		return false;
	}
	for (i = 0; i < n_docs; i++) {
		c.line = docs[i].line;
		collect(&c, docs[i].value, -1);
		docs[i].value = NULL;
	}
	yaml_json_free(docs, n_docs);
	if (c.oom) {
		pr_err("%s/%s: out of memory; keeping the %zu objects it defined", src->dir,
		       name, f->n_objs);
		free_objs(c.objs, c.n);
		return false;
	}
	pr_debug("%s/%s: %zu objects", src->dir, name, c.n);
	release_objs(src, f->objs, f->n_objs);
	f->objs = c.objs;
	f->n_objs = c.n;
	f->fresh = true;
	return true;
}

/* One definition of an object, and its precedence (higher wins). */
struct candidate {
	struct mobj *o;
	const struct mfile *f;
	size_t rank;
};

static int cmp_candidate(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	int c = cmp_identity(x->o, y->o);

	return c ? c : (x->rank > y->rank) - (x->rank < y->rank);
}

/* The last candidate with the identity of cands[i]; warns about the others. */
static size_t winner(const struct manifest_source *src, const struct candidate *cands,
		     size_t n, size_t i)
{
	size_t last = i, k;
	bool fresh = cands[i].f->fresh;

	while (last + 1 < n && !cmp_identity(cands[last + 1].o, cands[i].o))
		fresh |= cands[++last].f->fresh;
	for (k = i; fresh && k < last; k++) {
		if (cands[k].f == cands[last].f)
			pr_warn(ID_FMT " is defined more than once in %s/%s: the last one wins",
				ID_ARGS(cands[k].o), src->dir, cands[k].f->name);
		else
			pr_warn(ID_FMT " is defined in %s/%s and again in %s/%s: the last one wins",
				ID_ARGS(cands[k].o), src->dir, cands[k].f->name, src->dir,
				cands[last].f->name);
	}
	return last;
}

/* The sink's entry for a file's winner: the same object, borrowed. */
static struct mobj borrow(const struct mobj *o)
{
	return (struct mobj){ .kind = o->kind, .ns = o->ns, .name = o->name, .obj = o->obj };
}

/* The sink's entry old is replaced: the object goes with it if the entry owns it. */
static void let_go(struct mobj *old)
{
	if (old->owned)
		cJSON_Delete(old->obj);
}

static void emit(const struct manifest_source *src, enum k8s_event_type type,
		 const struct mobj *o)
{
	src->sink.event(src->sink.ctx, type, o->kind, o->obj);
}

/* Delivers the differences between the files' winners and what the sink holds. */
static void deliver(struct manifest_source *src)
{
	struct candidate *cands;
	struct mobj *next, *old;
	size_t total = 0, i, j = 0, k = 0, last = 0, f, o;
	int c;

	for (f = 0; f < src->n_files; f++)
		total += src->files[f].n_objs;
	cands = calloc(total + 1, sizeof(*cands));
	next = calloc(total + 1, sizeof(*next));
	if (!cands || !next) {
		pr_err("manifests %s: out of memory; changes wait for the next one", src->dir);
		goto out;
	}
	for (f = 0, i = 0; f < src->n_files; f++)
		for (o = 0; o < src->files[f].n_objs; o++, i++)
			cands[i] = (struct candidate){ &src->files[f].objs[o], &src->files[f], i };
	qsort(cands, total, sizeof(*cands), cmp_candidate);
	if (total)
		last = winner(src, cands, total, 0);
	/* Both lists are in identity order: walk them together. */
	for (i = 0; i < total || j < src->n_delivered;) {
		old = j < src->n_delivered ? &src->delivered[j] : NULL;
		if (i == total)
			c = 1;
		else
			c = old ? cmp_identity(cands[last].o, old) : -1;
		if (c > 0) {
			emit(src, K8S_EVENT_DELETED, old);
			let_go(old);
			j++;
			continue;
		}
		if (c < 0) {
			next[k] = borrow(cands[last].o);
			emit(src, K8S_EVENT_ADDED, &next[k++]);
		} else if (cands[last].o->won) {
			next[k++] = *old;
			j++;
		} else {
			next[k] = borrow(cands[last].o);
			if (!cJSON_Compare(cands[last].o->obj, old->obj, true))
				emit(src, K8S_EVENT_MODIFIED, &next[k]);
			let_go(old);
			k++;
			j++;
		}
		for (; i < last; i++)
			cands[i].o->won = false;
		cands[last].o->won = true;
		i = last + 1;
		if (i < total)
			last = winner(src, cands, total, i);
	}
	free(src->delivered);
	src->delivered = next;
	src->n_delivered = k;
	next = NULL;
	for (f = 0; f < src->n_files; f++)
		src->files[f].fresh = false;
out:
	free(cands);
	free(next);
}

/* Names may repeat here; apply_pending() reads each once. */
static int add_pending(struct manifest_source *src, const char *name)
{
	char **p;

	/* A file being written gives several events in a row. */
	if (src->n_pending && !strcmp(src->pending[src->n_pending - 1], name))
		return 0;
	p = reallocarray(src->pending, src->n_pending + 1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	src->pending = p;
	p[src->n_pending] = strdup(name);
	if (!p[src->n_pending])
		return -ENOMEM;
	src->n_pending++;
	return 0;
}

static void clear_pending(struct manifest_source *src)
{
	while (src->n_pending)
		free(src->pending[--src->n_pending]);
	src->rescan = false;
}

/* Every manifest in the directory, and every file that was, to be read. */
static int list_all(struct manifest_source *src)
{
	struct dirent *de;
	DIR *d;
	size_t i;
	int err = 0;

	d = opendir(src->dir);
	if (!d) {
		err = -errno;
		pr_err("manifests %s: cannot list: %s", src->dir, strerror(-err));
		return err;
	}
	while (!err && (de = readdir(d)))
		if (manifest_name(de->d_name))
			err = add_pending(src, de->d_name);
	closedir(d);
	for (i = 0; !err && i < src->n_files; i++)
		err = add_pending(src, src->files[i].name);
	if (err)
		pr_err("manifests %s: cannot list: %s", src->dir, strerror(-err));
	return err;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Files read for the first time (sorted) join the list and deleted ones
 * leave it, in one pass into merged: per-file inserts would cost a move of
 * the whole list each when thousands of files arrive at once.
 */
static void merge_files(struct manifest_source *src, struct mfile *added, size_t n_added,
			struct mfile *merged)
{
	size_t i = 0, j = 0, k = 0;

	while (i < src->n_files || j < n_added) {
		if (i < src->n_files && src->files[i].gone) {
			free(src->files[i++].name);
		} else if (j == n_added ||
			   (i < src->n_files && strcmp(src->files[i].name, added[j].name) < 0)) {
			merged[k++] = src->files[i++];
		} else {
			merged[k++] = added[j++];
		}
	}
	free(src->files);
	src->files = merged;
	src->n_files = k;
}

/* Reads every pending file once, in name order, then delivers what changed. */
static int apply_pending(struct manifest_source *src)
{
	struct mfile *added = NULL, *merged = NULL, *f;
	size_t i, n_added = 0;
	int err = 0;

	if (src->rescan)
		err = list_all(src);
	if (!err) {
		if (src->n_pending)
			qsort(src->pending, src->n_pending, sizeof(*src->pending), cmp_str);
		added = calloc(src->n_pending + 1, sizeof(*added));
		merged = calloc(src->n_files + src->n_pending + 1, sizeof(*merged));
		if (!added || !merged) {
			pr_err("manifests %s: out of memory; every file is read again at the "
			       "next change", src->dir);
			err = -ENOMEM;
		}
	}
	for (i = 0; !err && i < src->n_pending; i++) {
		const char *name = src->pending[i];

		if (i && !strcmp(name, src->pending[i - 1]))
			continue;
		f = find_file(src, name);
		if (f) {
			reload(src, f, name);
			continue;
		}
		f = &added[n_added];
		if (!reload(src, f, name))
			continue;
		f->name = strdup(name);
		if (!f->name) {
			pr_err("%s/%s: out of memory; not read", src->dir, name);
			free_objs(f->objs, f->n_objs);
			memset(f, 0, sizeof(*f));
			continue;
		}
		n_added++;
	}
	if (!err) {
		merge_files(src, added, n_added, merged);
		merged = NULL;
	}
	free(added);
	free(merged);
	clear_pending(src);
	src->rescan = err == -ENOMEM;
	src->armed = false;
	if (!err)
		deliver(src);
	return err;
}

static struct timespec ms_after(struct timespec t, long ms)
{
	t.tv_nsec += ms * NSEC_PER_MSEC;
	t.tv_sec += t.tv_nsec / NSEC_PER_SEC;
	t.tv_nsec %= NSEC_PER_SEC;
	return t;
}

static bool before(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

/* Fires MANIFEST_SETTLE_MS after the latest change, at most _MAX_MS after the first. */
static int arm_timer(struct manifest_source *src)
{
	struct itimerspec its = { 0 };
	struct timespec now, cap;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!src->armed)
		src->first_change = now;
	src->armed = true;
	its.it_value = ms_after(now, MANIFEST_SETTLE_MS);
	cap = ms_after(src->first_change, MANIFEST_SETTLE_MAX_MS);
	if (before(cap, its.it_value))
		its.it_value = cap;
	return timerfd_settime(src->tfd, TFD_TIMER_ABSTIME, &its, NULL) ? -errno : 0;
}

static void directory_gone(struct manifest_source *src)
{
	pr_err("manifests %s: the directory was removed or moved; keeping its %zu objects, "
	       "watching nothing more (restart the agent to read it again)",
	       src->dir, src->n_delivered);
	src->watching = false;
	clear_pending(src);
	src->armed = false;
	inotify_rm_watch(src->ifd, src->wd);
}

/*
 * A file just created is being written, and IN_CLOSE_WRITE will follow;
 * a symlink, or a second link to a written file, is complete now.
 */
static bool complete_when_created(const struct manifest_source *src, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/%s", src->dir, name) >= (int)sizeof(path) ||
	    lstat(path, &st))
		return true;
	return !S_ISREG(st.st_mode) || st.st_nlink > 1;
}

/* One read of the inotify queue: what changed is read once things settle. */
static int take_events(struct manifest_source *src)
{
	char buf[EVENT_BUF_SIZE] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	bool changed = false;
	ssize_t n;
	char *p;
	int err;

	n = read(src->ifd, buf, sizeof(buf));
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	for (p = buf; p < buf + n && src->watching; p += sizeof(*ev) + ev->len) {
		ev = (const struct inotify_event *)p;
		if (ev->mask & IN_Q_OVERFLOW) {
			src->rescan = changed = true;
		} else if (ev->mask & WATCH_DIR_EVENTS) {
			directory_gone(src);
			return 0;
		} else if (ev->len && !(ev->mask & IN_ISDIR) && manifest_name(ev->name) &&
			   (!(ev->mask & IN_CREATE) || complete_when_created(src, ev->name))) {
			err = add_pending(src, ev->name);
			if (err)
				return err;
			changed = true;
		}
	}
	return changed ? arm_timer(src) : 0;
}

int manifest_source_process(struct manifest_source *src)
{
	uint64_t expirations;
	int err;

	err = take_events(src);
	if (err)
		goto fail;
	/* Changes wait until the settle timer fires. */
	if (read(src->tfd, &expirations, sizeof(expirations)) < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		err = -errno;
		goto fail;
	}
	/* A listing that fails is logged there, and the state stays. */
	if (src->watching)
		apply_pending(src);
	return 0;
fail:
	pr_err("manifests %s: watching: %s", src->dir, strerror(-err));
	return err;
}

int manifest_source_fd(const struct manifest_source *src)
{
	return src->epfd;
}

void manifest_source_close(struct manifest_source *src)
{
	size_t i;

	if (!src)
		return;
	for (i = 0; i < src->n_files; i++) {
		free(src->files[i].name);
		free_objs(src->files[i].objs, src->files[i].n_objs);
	}
	free(src->files);
	for (i = 0; i < src->n_delivered; i++)
		let_go(&src->delivered[i]);
	free(src->delivered);
	clear_pending(src);
	free(src->pending);
	if (src->epfd >= 0)
		close(src->epfd);
	if (src->ifd >= 0)
		close(src->ifd);
	if (src->tfd >= 0)
		close(src->tfd);
	free(src->dir);
	free(src);
}

static int add_to_epoll(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

struct manifest_source *manifest_source_open(const char *dir, const struct k8s_sink *sink)
{
	struct manifest_source *src = calloc(1, sizeof(*src));
	const char *step;
	int err;

	if (!src) {
		pr_err("manifests %s: out of memory", dir);
		errno = ENOMEM;
		return NULL;
	}
	src->sink = *sink;
	src->epfd = src->ifd = src->tfd = -1;
	src->dir = strdup(dir);
	step = "allocating";
	if (!src->dir)
		goto fail;
	step = "creating the inotify fd";
	src->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (src->ifd < 0)
		goto fail;
	/* Watch first, then read: a change during the first read is not lost. */
	step = "watching the directory";
	src->wd = inotify_add_watch(src->ifd, dir,
				    WATCH_FILE_EVENTS | WATCH_DIR_EVENTS | IN_ONLYDIR);
	if (src->wd < 0)
		goto fail;
	step = "creating the settle timer";
	src->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (src->tfd < 0)
		goto fail;
	step = "creating the epoll fd";
	src->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (src->epfd < 0 || add_to_epoll(src->epfd, src->ifd) || add_to_epoll(src->epfd, src->tfd))
		goto fail;
	src->watching = true;
	src->rescan = true;
	err = apply_pending(src);
	if (err) {
		manifest_source_close(src);
		errno = -err;
		return NULL;
	}
	pr_info("manifests %s: %zu objects from %zu files", dir, src->n_delivered, src->n_files);
	sink->synced(sink->ctx);
	return src;
fail:
	err = errno;
	pr_err("manifests %s: %s: %s", dir, step, strerror(err));
	manifest_source_close(src);
	errno = err;
	return NULL;
}
