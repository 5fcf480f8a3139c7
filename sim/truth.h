/* Ground truth for dirty tracking, and the set of mapped IOVA ranges.
 *
 * ims_truth is a sparse bitmap with one bit per 4 KiB IOVA page: the pages a
 * DMA really wrote while tracking was on, since they were last reported with
 * clearing. Every dirty report is checked against it (missed / spurious).
 * Storage is 4 KiB chunks covering 128 MiB of IOVA each, created on first
 * write, so a sparse 57-bit space costs only what is touched.
 *
 * ims_range_set keeps the mapped IOVA ranges of a domain, merged and sorted,
 * so overlapping maps and unmaps of unmapped space are caught before any
 * page table is touched.
 */
#ifndef IMS_TRUTH_H
#define IMS_TRUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMS_TRUTH_CHUNK_BITS 15   /* 2^15 pages per chunk = 4 KiB of bits */
#define IMS_TRUTH_MID_BITS 15

struct ims_truth {
	uint64_t **top[1u << 15];   /* top[i][j] = chunk; see truth.c for index split */
	uint64_t pages_set;         /* bits currently set */
};

void ims_truth_init(struct ims_truth *t);
void ims_truth_fini(struct ims_truth *t);
/* Mark pages [first, first+n) (page numbers = iova >> 12). */
void ims_truth_set(struct ims_truth *t, uint64_t first, uint64_t n);
void ims_truth_clear(struct ims_truth *t, uint64_t first, uint64_t n);
/* How many of pages [first, first+n) are set. */
uint64_t ims_truth_count(const struct ims_truth *t, uint64_t first, uint64_t n);
/* Clear pages [first, first+n) and return how many were set. */
uint64_t ims_truth_take(struct ims_truth *t, uint64_t first, uint64_t n);
/* Clear the pages of mask (bit i of word w is page first + 64 w + i; first
 * a multiple of 64) and return how many were set: ims_truth_take of each
 * page, a word at a time. */
uint64_t ims_truth_take_mask(struct ims_truth *t, uint64_t first, const uint64_t *mask,
			     unsigned nwords);
/* True if any page in [first, first+n) is set. */
bool ims_truth_any(const struct ims_truth *t, uint64_t first, uint64_t n);

struct ims_range {
	uint64_t start, last;   /* inclusive */
};

struct ims_range_set {
	struct ims_range *r;
	size_t n, cap;
};

void ims_range_set_init(struct ims_range_set *s);
void ims_range_set_fini(struct ims_range_set *s);
/* First range overlapping [start, last], or NULL. */
const struct ims_range *ims_range_set_overlap(const struct ims_range_set *s,
					      uint64_t start, uint64_t last);
/* Lowest address in [start, last] not covered, or false if fully covered. */
bool ims_range_set_first_gap(const struct ims_range_set *s, uint64_t start,
			     uint64_t last, uint64_t *out);
int ims_range_set_add(struct ims_range_set *s, uint64_t start, uint64_t last);
int ims_range_set_remove(struct ims_range_set *s, uint64_t start, uint64_t last);
uint64_t ims_range_set_bytes(const struct ims_range_set *s);

#endif
