/* SPDX-License-Identifier: Apache-2.0 */
/* Pods and Namespaces (v1), as NetworkPolicy needs them. */
#ifndef SLUICE_POLICY_OBJECTS_H
#define SLUICE_POLICY_OBJECTS_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "policy/model.h"

/*
 * A pod's namespace, name, labels, first IPv4 pod IP (0 until it has one)
 * and named container ports. 0, or -EINVAL with why naming the field.
 */
int pol_pod_parse(const cJSON *obj, struct pol_pod *pod, char *why, size_t len);
void pol_pod_free(struct pol_pod *pod);
int pol_namespace_parse(const cJSON *obj, struct pol_namespace *ns, char *why, size_t len);
void pol_namespace_free(struct pol_namespace *ns);

#endif
