/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The --manifests DIR state source: Kubernetes objects in *.json, *.yaml and
 * *.yml files directly in DIR, kept in step with the files through inotify.
 *
 * - A .json file holds one JSON value; a .yaml/.yml file any number of YAML
 *   documents (see yaml_json.h); empty documents are skipped. A value of
 *   kind List (apiVersion v1) stands for its items, nested Lists included.
 * - Names starting with '.' are ignored, as is any other name (editor files
 *   such as x.yaml~, .x.yaml.swp, #x.yaml#). Symlinks are read through, but
 *   only changes to DIR's own entries are noticed.
 * - Objects of kinds sluice does not read are skipped (debug log). An object
 *   without kind/apiVersion or metadata.name is logged and skipped; the
 *   others in its file still apply. Node and Namespace lose any namespace;
 *   other kinds without one get "default", as kubectl gives them.
 * - An object is (kind, namespace, name). When several definitions share
 *   one, the last wins: files in byte order of their names, then order
 *   within a file; a warning names both places when one of their files
 *   changes.
 * - A file that cannot be read or parsed keeps what it contributed before
 *   (an error is logged): a half-saved file must not delete a namespace's
 *   Services. Its next good version is compared with that.
 * - Changes are taken MANIFEST_SETTLE_MS after the directory goes quiet, so
 *   an editor that renames the old file away before writing the new one
 *   produces MODIFIED events, not DELETED then ADDED.
 * - The sink hears ADDED, MODIFIED (the JSON differs, cJSON_Compare) and
 *   DELETED (with the last object delivered), in order of kind, namespace
 *   and name; an unchanged object produces nothing.
 * - If DIR itself is removed or moved, an error is logged and the last
 *   state stays; the source watches nothing more.
 */
#ifndef SLUICE_K8S_MANIFEST_H
#define SLUICE_K8S_MANIFEST_H

#include "k8s/object.h"

/* Quiet time after the last change in the directory before files are read. */
#define MANIFEST_SETTLE_MS 100
/* Longest a change waits while the directory keeps changing. */
#define MANIFEST_SETTLE_MAX_MS 1000
/* Largest file read: Lists of objects the API server would take (1.5 MiB each). */
#define MANIFEST_FILE_MAX (16 << 20)

struct manifest_source;

/*
 * Reads every manifest in dir, delivers each object as ADDED, then calls
 * sink->synced once. NULL (logged, errno set) when dir cannot be watched.
 * The sink must not call back into the source.
 */
struct manifest_source *manifest_source_open(const char *dir, const struct k8s_sink *sink);
/* Readable when the source has work: call manifest_source_process(). */
int manifest_source_fd(const struct manifest_source *src);
/*
 * Takes the directory's changes and delivers the resulting events. Returns
 * 0, or -errno if the notification fds failed (the state is kept).
 */
int manifest_source_process(struct manifest_source *src);
void manifest_source_close(struct manifest_source *src);

#endif
