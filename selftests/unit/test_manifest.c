// SPDX-License-Identifier: Apache-2.0
/* The --manifests directory source: files in, ADDED/MODIFIED/DELETED out. */
#include <criterion/criterion.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "k8s/manifest.h"

/* Longest wait for events that must come. */
#define PUMP_TIMEOUT_MS 2000
/* How long to listen for events that must not come: a few settle times. */
#define QUIET_MS (3 * MANIFEST_SETTLE_MS)
/* Events one test may record. */
#define REC_MAX 64
/* Room for every recorded event line of one step. */
#define EVENTS_TEXT_MAX 4096
/* Open files in nftw's walk of the test directory. */
#define NFTW_FDS 8

static const char *const event_names[] = {
	[K8S_EVENT_ADDED] = "ADDED",
	[K8S_EVENT_MODIFIED] = "MODIFIED",
	[K8S_EVENT_DELETED] = "DELETED",
};

static struct {
	struct {
		char line[160];
		cJSON *obj;
	} ev[REC_MAX];
	size_t n;
	int synced;
	size_t n_at_synced;
} rec;

static char dir[] = "/tmp/sluice-manifest-XXXXXX";
static char moved[sizeof(dir) + 8];
static struct manifest_source *src;
static int saved_stderr = -1;
static FILE *captured;

static void record(void *ctx, enum k8s_event_type type, enum k8s_kind kind, const cJSON *obj)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(meta, "namespace");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(meta, "name");

	(void)ctx;
	cr_assert_lt(rec.n, REC_MAX, "room to record another event");
	cr_assert(cJSON_IsString(name), "delivered objects have a name");
	snprintf(rec.ev[rec.n].line, sizeof(rec.ev[rec.n].line), "%s %s %s%s%s\n",
		 event_names[type], k8s_kind_name(kind), ns ? ns->valuestring : "",
		 ns ? "/" : "", name->valuestring);
	rec.ev[rec.n].obj = cJSON_Duplicate(obj, true);
	rec.n++;
}

static void synced(void *ctx)
{
	(void)ctx;
	rec.synced++;
	rec.n_at_synced = rec.n;
}

static const struct k8s_sink sink = { .event = record, .synced = synced };

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir), "make the test directory");
	snprintf(moved, sizeof(moved), "%s.moved", dir);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void teardown(void)
{
	size_t i;

	manifest_source_close(src);
	for (i = 0; i < rec.n; i++)
		cJSON_Delete(rec.ev[i].obj);
	if (captured)
		fclose(captured);
	nftw(dir, remove_entry, NFTW_FDS, FTW_DEPTH | FTW_PHYS);
	nftw(moved, remove_entry, NFTW_FDS, FTW_DEPTH | FTW_PHYS);
}

TestSuite(manifest, .init = setup, .fini = teardown);

static void path_of(char *path, const char *name)
{
	cr_assert_lt(snprintf(path, PATH_MAX, "%s/%s", dir, name), PATH_MAX, "path fits");
}

/* Writes a file in place: one IN_CLOSE_WRITE. */
static void put(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	path_of(path, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "create %s", path);
	cr_assert_geq(fputs(text, f), 0, "write %s", path);
	cr_assert_eq(fclose(f), 0, "close %s", path);
}

static void del(const char *name)
{
	char path[PATH_MAX];

	path_of(path, name);
	cr_assert_eq(unlink(path), 0, "remove %s", path);
}

static void mv(const char *from, const char *to)
{
	char a[PATH_MAX], b[PATH_MAX];

	path_of(a, from);
	path_of(b, to);
	cr_assert_eq(rename(a, b), 0, "rename %s to %s", a, b);
}

static void open_source(void)
{
	src = manifest_source_open(dir, &sink);
	cr_assert_not_null(src, "open the source on %s", dir);
	cr_assert_eq(rec.synced, 1, "synced once after the first read");
	cr_assert_eq(rec.n_at_synced, rec.n, "synced after every initial event");
}

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 +
	       (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* Feeds the source its events until `want` are recorded or timeout_ms pass. */
static void pump_for(size_t want, long timeout_ms)
{
	struct timespec deadline;
	struct pollfd p = { .fd = manifest_source_fd(src), .events = POLLIN };
	long left;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (timeout_ms % 1000) * 1000000;
	while (rec.n < want && (left = ms_left(&deadline)) > 0) {
		if (poll(&p, 1, (int)left) > 0)
			cr_assert_eq(manifest_source_process(src), 0, "process the events");
	}
}

/* Waits for `want` events in all, then listens a while for any extra ones. */
static void pump(size_t want)
{
	pump_for(want, PUMP_TIMEOUT_MS);
	pump_for(SIZE_MAX, QUIET_MS);
}

/* The events recorded from index `from` on, one line each. */
static const char *events_since(size_t from)
{
	static char text[EVENTS_TEXT_MAX];
	size_t i, len = 0;

	text[0] = '\0';
	for (i = from; i < rec.n; i++)
		len += snprintf(text + len, sizeof(text) - len, "%s", rec.ev[i].line);
	return text;
}

/* Runs one step: expects exactly `want` (event lines) to follow. */
static void expect_step(const char *step, size_t nwant, const char *want)
{
	size_t from = rec.n;

	pump(from + nwant);
	cr_assert_str_eq(events_since(from), want, "%s", step);
}

static const cJSON *last_obj(void)
{
	cr_assert_gt(rec.n, 0, "an event was recorded");
	return rec.ev[rec.n - 1].obj;
}

static double port_of(const cJSON *obj)
{
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	const cJSON *ports = cJSON_GetObjectItemCaseSensitive(spec, "ports");

	return cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ports, 0), "port")->valuedouble;
}

/* Sends stderr (the log) to a file until log_text() reads it. */
static void capture_log(void)
{
	if (captured)
		fclose(captured);
	captured = tmpfile();
	cr_assert_not_null(captured, "temporary file for the log");
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	cr_assert_geq(saved_stderr, 0, "keep stderr");
	cr_assert_geq(dup2(fileno(captured), STDERR_FILENO), 0, "redirect stderr");
}

static const char *log_text(void)
{
	static char text[8192];
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	rewind(captured);
	n = fread(text, 1, sizeof(text) - 1, captured);
	text[n] = '\0';
	fprintf(stderr, "%s", text);
	return text;
}

#define SVC(name, port) \
	"apiVersion: v1\nkind: Service\nmetadata:\n  name: " name "\n" \
	"spec:\n  ports:\n  - port: " #port "\n"

Test(manifest, initial_scan_reads_json_yaml_and_lists)
{
	char path[PATH_MAX];

	put("a.json", "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\","
		      "\"namespace\":\"shop\"},\"spec\":{\"ports\":[{\"port\":80}]}}");
	put("b.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"
		      "---\n---\n"
		      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db-0\n  namespace: shop\n");
	put("c.yml", "apiVersion: v1\nkind: List\nitems:\n"
		     "- apiVersion: discovery.k8s.io/v1\n  kind: EndpointSlice\n"
		     "  metadata: {name: web-abc, namespace: shop}\n"
		     "- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n"
		     "  metadata: {name: deny, namespace: shop}\n");
	put("d.json", "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[{\"apiVersion\":\"v1\","
		      "\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\"}}]}");
	/* None of these is a manifest. */
	put(".hidden.yaml", SVC("hidden", 1));
	put("e.yaml~", SVC("backup", 1));
	put(".e.yaml.swp", SVC("swap", 1));
	put("notes.txt", SVC("notes", 1));
	path_of(path, "sub.yaml");
	cr_assert_eq(mkdir(path, 0700), 0, "a directory named like a manifest");
	put("sub.yaml/f.yaml", SVC("nested", 1));

	open_source();
	cr_expect_str_eq(events_since(0),
			 "ADDED Node n1\n"
			 "ADDED Namespace shop\n"
			 "ADDED Pod shop/db-0\n"
			 "ADDED Service shop/web\n"
			 "ADDED EndpointSlice shop/web-abc\n"
			 "ADDED NetworkPolicy shop/deny\n",
			 "every object once, in kind order, then synced");
}

Test(manifest, other_kinds_are_skipped)
{
	put("app.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n---\n"
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n---\n"
			"apiVersion: v2\nkind: Service\nmetadata:\n  name: future\n---\n"
			SVC("web", 80));
	open_source();
	cr_expect_str_eq(events_since(0), "ADDED Service default/web\n",
			 "only the Service sluice reads");
}

Test(manifest, invalid_objects_are_logged_and_skipped)
{
	const char *log;

	put("bad.yaml",
	    /* line 1 */ "apiVersion: v1\nkind: Service\nmetadata:\n  namespace: shop\n---\n"
	    /* line 6 */ "apiVersion: v1\nkind: Pod\nmetadata: [x]\n---\n"
	    /* line 10 */ "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: 5\n---\n"
	    /* line 16 */ "just a string\n---\n"
	    /* line 18 */ "metadata:\n  name: kindless\n---\n"
	    /* line 21 */ "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n"
	    "  metadata: {namespace: shop}\n- apiVersion: v1\n  kind: Service\n"
	    "  metadata: {name: in-list}\n---\n" SVC("ok", 80));
	capture_log();
	open_source();
	log = log_text();
	cr_expect_str_eq(events_since(0), "ADDED Service default/in-list\nADDED Service default/ok\n",
			 "valid objects apply");
	cr_expect(strstr(log, "bad.yaml:1: skipping Service shop/(no name): metadata.name") != NULL,
		  "missing name logged with file, line, kind and namespace");
	cr_expect(strstr(log, "bad.yaml:6: skipping Pod (no name): metadata must be an object") != NULL,
		  "metadata not a mapping");
	cr_expect(strstr(log, "bad.yaml:10: skipping Pod p: metadata.namespace must be a string") != NULL,
		  "namespace not a string");
	cr_expect(strstr(log, "bad.yaml:16: skipping a scalar") != NULL, "document not an object");
	cr_expect(strstr(log, "bad.yaml:18: skipping object kindless: kind and apiVersion") != NULL,
		  "object without kind");
	cr_expect(strstr(log, "bad.yaml:21 items[0]: skipping Service shop/(no name)") != NULL,
		  "list item without name");
}

Test(manifest, namespaces_follow_kubectl)
{
	const cJSON *meta;
	size_t i;

	put("ns.yaml", "apiVersion: v1\nkind: Node\nmetadata: {name: n1, namespace: stray}\n---\n"
		       "apiVersion: v1\nkind: Pod\nmetadata: {name: p1}\n---\n"
		       "apiVersion: v1\nkind: Pod\nmetadata: {name: p2, namespace: ''}\n---\n"
		       "apiVersion: v1\nkind: Pod\nmetadata: {name: p3, namespace: ~}\n---\n"
		       "apiVersion: v1\nkind: Pod\nmetadata: {name: p4, namespace: kube-system}\n");
	open_source();
	cr_assert_str_eq(events_since(0),
			 "ADDED Node n1\nADDED Pod default/p1\nADDED Pod default/p2\n"
			 "ADDED Pod default/p3\nADDED Pod kube-system/p4\n",
			 "cluster-scoped kinds lose the namespace, others default it");
	meta = cJSON_GetObjectItemCaseSensitive(rec.ev[0].obj, "metadata");
	cr_expect_null(cJSON_GetObjectItemCaseSensitive(meta, "namespace"),
		       "the delivered Node has no namespace");
	for (i = 1; i < 4; i++) {
		meta = cJSON_GetObjectItemCaseSensitive(rec.ev[i].obj, "metadata");
		cr_expect_str_eq(cJSON_GetObjectItemCaseSensitive(meta, "namespace")->valuestring,
				 "default", "delivered Pod %zu says default", i);
	}
}

Test(manifest, open_fails_without_the_directory)
{
	char path[PATH_MAX];

	path_of(path, "missing");
	cr_expect_null(manifest_source_open(path, &sink), "no source on a missing directory");
	cr_expect_eq(rec.synced, 0, "nothing synced");
	put("file.yaml", SVC("web", 80));
	path_of(path, "file.yaml");
	cr_expect_null(manifest_source_open(path, &sink), "no source on a file");
}

Test(manifest, files_added_changed_and_removed)
{
	open_source();
	cr_assert_eq(rec.n, 0, "an empty directory has no objects");

	put("a.yaml", SVC("web", 80) "---\n" SVC("api", 81));
	expect_step("new file", 2, "ADDED Service default/api\nADDED Service default/web\n");

	put("a.yaml", SVC("web", 8080) "---\n" SVC("api", 81));
	expect_step("one object changed", 1, "MODIFIED Service default/web\n");
	cr_expect_eq(port_of(last_obj()), 8080, "the new port is delivered");

	put("a.yaml", "kind: Service\napiVersion: v1\nspec: {ports: [{port: 8080}]}\n"
		      "metadata: {name: web}\n---\n" SVC("api", 81));
	expect_step("same content, keys reordered", 0, "");

	put("a.yaml~", SVC("backup", 1));
	put(".a.yaml.swp", SVC("swap", 1));
	expect_step("editor files", 0, "");

	put("b.json", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"}}");
	expect_step("second file", 1, "ADDED Pod default/p\n");

	put("a.yaml", SVC("web", 8080));
	expect_step("object dropped from its file", 1, "DELETED Service default/api\n");
	cr_expect_eq(port_of(last_obj()), 81, "DELETED carries the last state");

	del("a.yaml");
	del("b.json");
	expect_step("files removed", 2, "DELETED Pod default/p\nDELETED Service default/web\n");
}

Test(manifest, rename_based_saves_are_modifications)
{
	char stage[PATH_MAX];

	put("a.yaml", SVC("web", 80) "---\n" SVC("api", 81));
	open_source();
	cr_assert_eq(rec.n, 2, "two objects at start");

	/* Write a temporary file, rename it over the old one. */
	put(".a.yaml.tmp", SVC("web", 8080) "---\n" SVC("api", 81));
	mv(".a.yaml.tmp", "a.yaml");
	expect_step("atomic rename", 1, "MODIFIED Service default/web\n");

	/* vim: rename the old file away, write a new one, remove the backup. */
	mv("a.yaml", "a.yaml~");
	put("a.yaml", SVC("web", 9090) "---\n" SVC("api", 81));
	del("a.yaml~");
	expect_step("backup-rename save", 1, "MODIFIED Service default/web\n");
	cr_expect_eq(port_of(last_obj()), 9090, "the saved port");

	/* Moved in from elsewhere, then out again. */
	path_of(stage, "stage");
	cr_assert_eq(mkdir(stage, 0700), 0, "staging directory");
	put("stage/c.yaml", SVC("moved", 82));
	mv("stage/c.yaml", "c.yaml");
	expect_step("moved in", 1, "ADDED Service default/moved\n");
	mv("c.yaml", "stage/c.yaml");
	expect_step("moved out", 1, "DELETED Service default/moved\n");
}

Test(manifest, duplicate_objects_last_file_wins)
{
	const char *log;

	put("a.yaml", SVC("web", 80));
	put("b.yaml", SVC("web", 90) "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n");
	capture_log();
	open_source();
	log = log_text();
	cr_assert_str_eq(events_since(0), "ADDED Pod default/p\nADDED Service default/web\n",
			 "one Service for two definitions");
	cr_expect_eq(port_of(last_obj()), 90, "b.yaml, the last file, wins");
	cr_expect(strstr(log, "Service default/web is defined in") != NULL &&
		  strstr(log, "a.yaml and again in") != NULL, "the duplicate is logged: %s", log);

	put("a.yaml", SVC("web", 85));
	expect_step("the losing definition changes", 0, "");

	del("b.yaml");
	expect_step("the winner's file goes", 2,
		    "DELETED Pod default/p\nMODIFIED Service default/web\n");
	cr_expect_eq(port_of(last_obj()), 85, "a.yaml's definition takes over");

	put("a.yaml", SVC("web", 1) "---\n" SVC("web", 2));
	expect_step("twice in one file", 1, "MODIFIED Service default/web\n");
	cr_expect_eq(port_of(last_obj()), 2, "the later document wins");

	del("a.yaml");
	expect_step("the last definition goes", 1, "DELETED Service default/web\n");
}

Test(manifest, broken_file_keeps_its_objects)
{
	const char *log;

	put("a.yaml", SVC("web", 80) "---\n" SVC("api", 81));
	put("b.json", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"}}");
	open_source();
	cr_assert_eq(rec.n, 3, "three objects at start");

	capture_log();
	put("a.yaml", SVC("web", 80) "---\napiVersion: v1\nkind: Service\nmetadata:\n"
		      "  name: api\nspec:\n  ports: [{port: 81\n");
	put("b.json", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\n\"metadata\":");
	expect_step("half-written files", 0, "");
	log = log_text();
	cr_expect(strstr(log, "a.yaml:15:1: did not find expected ',' or '}'") != NULL,
		  "YAML error with its line: %s", log);
	cr_expect(strstr(log, "keeping the 2 objects it defined") != NULL, "kept objects named");
	cr_expect(strstr(log, "b.json:2:12: invalid JSON") != NULL, "JSON error with its line");

	put("a.yaml", SVC("web", 8080));
	expect_step("repaired file", 2, "DELETED Service default/api\nMODIFIED Service default/web\n");
	put("b.json", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
		      "\"metadata\":{\"name\":\"q\"}}");
	capture_log();
	expect_step("duplicate JSON key", 0, "");
	cr_expect(strstr(log_text(), "b.json: duplicate key metadata; keeping") != NULL,
		  "the duplicate key is named");
}

Test(manifest, directory_removed_keeps_state)
{
	const char *log;

	put("a.yaml", SVC("web", 80));
	open_source();
	cr_assert_eq(rec.n, 1, "one object at start");
	capture_log();
	del("a.yaml");
	cr_assert_eq(rmdir(dir), 0, "remove the directory");
	expect_step("directory removed", 0, "");
	log = log_text();
	cr_expect(strstr(log, "the directory was removed or moved; keeping its 1 objects") != NULL,
		  "the loss is logged: %s", log);
}

Test(manifest, directory_moved_keeps_state)
{
	char path[PATH_MAX];

	put("a.yaml", SVC("web", 80));
	open_source();
	cr_assert_eq(rename(dir, moved), 0, "move the directory");
	expect_step("directory moved", 0, "");
	snprintf(path, sizeof(path), "%s/a.yaml", moved);
	cr_assert_eq(unlink(path), 0, "remove the file in its new place");
	expect_step("changes in the moved directory", 0, "");
}

Test(manifest, links_made_in_the_directory_are_read)
{
	char stage[PATH_MAX], target[PATH_MAX], entry[PATH_MAX];

	open_source();
	path_of(stage, "stage");
	cr_assert_eq(mkdir(stage, 0700), 0, "staging directory");
	put("stage/s.yaml", SVC("via-symlink", 80));
	put("stage/h.yaml", SVC("via-hardlink", 81));

	path_of(target, "stage/s.yaml");
	path_of(entry, "s.yaml");
	cr_assert_eq(symlink(target, entry), 0, "symlink into the directory");
	expect_step("symlink made", 1, "ADDED Service default/via-symlink\n");

	path_of(target, "stage/h.yaml");
	path_of(entry, "h.yaml");
	cr_assert_eq(link(target, entry), 0, "hard link into the directory");
	expect_step("hard link made", 1, "ADDED Service default/via-hardlink\n");

	del("s.yaml");
	del("h.yaml");
	expect_step("links removed", 2,
		    "DELETED Service default/via-hardlink\nDELETED Service default/via-symlink\n");
}

/* Files arriving and leaving by the dozen in one settle: read once each, merged in name order. */
Test(manifest, many_files_in_one_pass_keep_name_order)
{
	char name[32], stage_name[48], svc[32], text[256], want[EVENTS_TEXT_MAX];
	size_t len = 0;
	int i;

	for (i = 0; i < 20; i += 2) {
		snprintf(name, sizeof(name), "f%02d.yaml", i);
		snprintf(svc, sizeof(svc), "s%02d", i);
		snprintf(text, sizeof(text), SVC("%s", 1000), svc);
		put(name, text);
	}
	open_source();
	cr_assert_eq(rec.n, 10, "the even files' services at start");

	cr_assert_eq(mkdir(strcat(strcpy(text, dir), "/stage"), 0700), 0, "staging directory");
	for (i = 1; i < 20; i += 2) {
		snprintf(stage_name, sizeof(stage_name), "stage/f%02d.yaml", i);
		snprintf(svc, sizeof(svc), "s%02d", i);
		snprintf(text, sizeof(text), SVC("%s", 1000), svc);
		/* f05 also defines s02, and wins over f02, which comes before it. */
		if (i == 5)
			strcat(text, "---\n" SVC("s02", 5005));
		put(stage_name, text);
	}
	/* Moved in backwards, so arrival order is not name order. */
	for (i = 19; i > 0; i -= 2) {
		snprintf(stage_name, sizeof(stage_name), "stage/f%02d.yaml", i);
		snprintf(name, sizeof(name), "f%02d.yaml", i);
		mv(stage_name, name);
	}
	put("f02.yaml", SVC("s02", 2002));
	del("f00.yaml");
	del("f04.yaml");
	del("f08.yaml");
	for (i = 0; i < 20; i++) {
		const char *what = i == 0 || i == 4 || i == 8 ? "DELETED" :
				   i == 2 ? "MODIFIED" : i % 2 ? "ADDED" : NULL;

		if (what)
			len += snprintf(want + len, sizeof(want) - len, "%s Service default/s%02d\n",
					what, i);
	}
	expect_step("ten files in, three out, one changed", 14, want);
	/* After the 10 at start: s00 DELETED, s01 ADDED, s02 MODIFIED. */
	cr_expect_eq(port_of(rec.ev[12].obj), 5005, "f05's definition of s02 wins over f02's");

	del("f05.yaml");
	expect_step("the winner's file goes", 2,
		    "MODIFIED Service default/s02\nDELETED Service default/s05\n");
	cr_expect_eq(port_of(rec.ev[rec.n - 2].obj), 2002, "f02's definition takes over");
}
