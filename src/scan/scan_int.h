/* Internal to the scan: shared between the engine, resume and reports. */
#ifndef WARD_SCAN_INT_H
#define WARD_SCAN_INT_H

#include <stdint.h>
#include <ward/scan.h>

#define SCAN_FILES "files.jsonl"
#define SCAN_NOTICES "notices.jsonl"
#define SCAN_STATE "scan-state.json"
#define SCAN_CHECKPOINT "checkpoint.json"

/* Set of content digests seen, for grouping duplicates inside the evidence. */
typedef struct dup_table dup_table;
dup_table *dup_new(void);
void dup_free(dup_table *t);
/* Returns the path of the first file with this key, or NULL (and records
 * `path` as first) if it is new. key: 32 bytes. */
const char *dup_check(dup_table *t, const uint8_t key[32], const char *path);

/* Rebuild counters and duplicates from an existing files.jsonl prefix. */
ward_status scan_replay_files(const char *path, uint64_t offset, ward_scan_progress *p,
                              dup_table *dups, ward_error *err);

int scan_verdict_parse(const char *name);
#endif
