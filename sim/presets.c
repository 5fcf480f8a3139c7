/* The hardware presets (sim/presets.h). Sources: the calibration reference
 * (pcie-bench data, rIOMMU, Linux dmar_perf_latency in QEMU's docs, the
 * arm-smmu-v3 cmdq series, cache-flush measurements) and gem5's SMMUv3
 * model; docs/calibration.md shows every value with its source.
 *
 * A cost in cycles that was measured in ns (the CPU flush costs) is
 * converted again at the preset's cpu_mhz; host software costs counted in
 * cycles are left alone.
 */
#include "sim/presets.h"

#include <stdio.h>
#include <string.h>

#include "sim/params.h"

#define V(param, value, source) { #param, value, source, offsetof(struct ims_params, param) }
#define PRESET(name, model, hardware, description, values) \
	{ name, model, hardware, description, values, sizeof(values) / sizeof((values)[0]) }

static const struct ims_preset_value xeon_e5[] = {
	V(cpu_mhz, "2200",
	  "guess: base clock of the Xeon E5-2630 v4 (2.2 GHz) that pcie-bench measured with the "
	  "IOMMU on (pcie-bench/data, nfp6000-1.2GHz_bdw-Xeon-E5-2630v4-dell-t430-...-iommu-nosp)"),
	V(iotlb_entries, "120",
	  "derived: pcie-bench data (validation/reference/pciebench, iotlb_summary.csv): on every "
	  "Xeon E5 4 KiB run the Cold median of 64 B random reads is flat up to a 512 KiB window "
	  "and raised from 1 MiB (reach 64-128 entries; 64 would raise it at 512 KiB); the p95 "
	  "rises at 512 KiB on v3/v4 (reach < 121.6) and the average-based reach there is 105-119: "
	  "120 = 8 sets x 15 ways, the largest such size below 121.6"),
	V(iotlb_ways, "15",
	  "derived: with iotlb_entries 120, a power-of-two set count (8 sets); the data say "
	  "nothing of the associativity"),
	V(mem_dram_ns, "258",
	  "derived: pcie-bench Cold median IOTLB miss penalty of the v3/v4 systems "
	  "(validation/reference/pciebench/iotlb_summary.csv: bdw-e5-2630v4 280, hsw-e5-2620v3 "
	  "226.7, hsw-e5-2637v3 266.7 ns), mean 257.8, taken as one walker read (upper levels hit "
	  "the paging-structure caches)"),
	V(mem_llc_lines, "0",
	  "derived: the pcie-bench miss penalty is the same at 1 MiB windows (32 lines of leaf "
	  "PTEs) as at 64 MiB (2,048 lines) on every run (lat_window_rd64.csv), so walker reads "
	  "did not hit the LLC there: every one costs mem_dram_ns"),
	V(iommu_walk_slots, "5",
	  "derived: Little's law on pcie-bench at 64 MiB, where nearly every read walks: v3/v4 "
	  "sustain 19.2-19.6 M reads/s with 88 outstanding (bw_summary.csv on_mtrans_per_s_64m) "
	  "at a 227-280 ns miss penalty = 4.4-5.5 walks in flight"),
	V(dma_rtt_ns, "588",
	  "derived: pcie-bench Cold median 64 B read with the window inside the IOTLB's reach, "
	  "600 ns on bdw-e5-2630v4 s0-s0-s0 (iotlb_summary.csv), less the link time at the "
	  "default dma_link_mbps and dma_tlp_overhead_bytes (11.2 ns) and an IOTLB hit"),
	V(vtd_iotlb_inv_ns, "527",
	  "derived: an IOTLB invalidation per strict unmap costs about 2,100 cycles (rIOMMU, Malka "
	  "et al., ASPLOS'15, Table 1): 2,100 - 720 host cycles (two descriptors, doorbell, poll) = "
	  "627 ns at cpu_mhz 2200, minus vtd_wait_desc_ns"),
	V(vtd_wait_desc_ns, "100",
	  "guess: one status write, as the Sapphire Rapids default; the split of the rIOMMU total "
	  "between the two descriptors is not measured"),
	V(cpu_flush_insn_opt, "0",
	  "CLFLUSHOPT (CPUID.(EAX=7,ECX=0):EBX[23]) first shipped with Skylake: Haswell-EP and "
	  "Broadwell-EP flush with CLFLUSH"),
	V(cpu_clflush_line_cycles, "31",
	  "derived: the default's 14.3 ns per CLFLUSH line (gist tanakamura/a3728e0b) times "
	  "cpu_mhz 2200"),
};

static const struct ims_preset_value xeon_spr[] = {
	V(cpu_mhz, "2000",
	  "guess: Sapphire Rapids Xeon Platinum base clocks are about 2 GHz (8480+: 2.0 GHz)"),
	V(iotlb_entries, "128",
	  "guess: no Sapphire Rapids figure is public; not below the Xeon E5 reach pcie-bench "
	  "measured (105-128 entries, validation/reference/pciebench/iotlb_summary.csv)"),
	V(mem_dram_ns, "197",
	  "guess: Rubin et al., SOSP'24 sec. 2.2 fitted 197 ns per walk read on a Xeon Gold 6234 "
	  "(Cascade Lake); no Sapphire Rapids figure"),
	V(vtd_iotlb_inv_ns, "225",
	  "derived: Linux dmar_perf_latency inv_iotlb on Sapphire Rapids (QEMU "
	  "docs/devel/migration/qpl-compression.rst): 286 of 409 submit+wait samples at 0.1-1 us, "
	  "123 at 1-10 us with max 1 us, mean about 0.69 us (bin midpoint 0.55 us, tail 1 us) = "
	  "1,371 cycles at cpu_mhz 2000; minus 720 host cycles and vtd_wait_desc_ns"),
	V(vtd_wait_desc_ns, "100",
	  "guess: the wait descriptor's share (one status write) of the dmar_perf_latency total"),
};

static const struct ims_preset_value epyc[] = {
	V(cpu_mhz, "2400", "guess: EPYC 9004/9005 base clocks are about 2.0-3.0 GHz"),
	V(iotlb_entries, "128",
	  "guess: no public AMD IOMMU TLB size; the Xeon E5 reach pcie-bench measured (105-128 "
	  "entries, validation/reference/pciebench/iotlb_summary.csv)"),
	V(mem_dram_ns, "197",
	  "guess: Rubin et al., SOSP'24 fitted 197 ns per walk read on a Xeon; no AMD figure"),
	V(amdv1_inv_pages_ns, "250",
	  "guess: no public AMD measurement; equal to the VT-d default vtd_iotlb_inv_ns"),
	V(amdv1_inv_devtab_ns, "150",
	  "guess: equal to vtd_pasid_cache_inv_ns (a cached-entry reload)"),
	V(amdv1_completion_wait_ns, "100",
	  "guess: equal to vtd_wait_desc_ns (both end in one coherent store)"),
	V(cpu_clflush_line_cycles, "5",
	  "derived: CLFLUSH on AMD Zen 5 about 90-180 ns per 4 KiB (1 MiB buffer, mfence-bracketed, "
	  "virtualised) = 1.4-2.8 ns per line, midpoint 2.1 ns times cpu_mhz 2400"),
	V(cpu_clflushopt_line_cycles, "5",
	  "derived: CLFLUSHOPT about equal to CLFLUSH on AMD Zen 5 (same measurement)"),
};

static const struct ims_preset_value neoverse_smmu[] = {
	V(cpu_mhz, "3000", "guess: Neoverse N1 servers run at up to 3.0 GHz (Ampere Altra)"),
	V(iotlb_entries, "2048",
	  "gem5 SMMUv3 model (src/dev/arm/SMMUv3.py): main TLB of the device interface, "
	  "tlb_entries = 2048"),
	V(iotlb_ways, "4", "gem5 SMMUv3 model: main TLB tlb_assoc = 4"),
	V(iotlb_hit_ns, "3", "guess: gem5 main TLB tlb_lat = 3 cycles at an assumed 1 GHz SMMU clock"),
	V(psc_l1_entries, "256",
	  "derived: gem5 SMMUv3 walk cache walk_S1L2 = 348 (level-2 table descriptors), rounded to "
	  "256 for a power-of-two set count at 4 ways"),
	V(psc_l2_entries, "32",
	  "derived: gem5 walk_S1L1 = 28, rounded to 32 for a power-of-two set count at 4 ways"),
	V(psc_l3_entries, "4", "gem5 SMMUv3 model: walk_S1L0 = 4"),
	V(psc_ways, "4", "gem5 SMMUv3 model: walk_assoc = 4"),
	V(psc_hit_ns, "4", "guess: gem5 walk cache walk_lat = 4 cycles at an assumed 1 GHz SMMU clock"),
	V(smmuv3_tlbi_ns, "220",
	  "derived: SMMUv3 map+unmap with CMD_SYNC ~3.5 us per pair at 8 CPUs (HiSilicon, "
	  "arm-smmu-v3 cmdq lock series v2, 2020) = ~440 ns of SMMU time per TLBI+SYNC; split "
	  "evenly (guess)"),
	V(smmuv3_sync_ns, "220",
	  "derived, as smmuv3_tlbi_ns: the other half of ~440 ns per TLBI+SYNC (split: guess)"),
	V(smmuv3_cmdq_batch, "64", "Linux arm-smmu-v3 CMDQ_BATCH_ENTRIES = BITS_PER_LONG = 64 on arm64"),
};

const struct ims_preset ims_presets[] = {
	PRESET("xeon-e5", "vtd", "Intel Xeon E5 v3/v4 (Haswell-EP, Broadwell-EP) with VT-d",
	       "The IOMMU pcie-bench measured (IOTLB reach, miss penalty, walks in flight, Cold "
	       "round trip; checked by iommusim validate) with rIOMMU's invalidation cost. These "
	       "parts have neither scalable mode nor second-stage A/D bits, which the model still "
	       "offers: dirty-tracking results say what such a part would do with them. No "
	       "CLFLUSHOPT.",
	       xeon_e5),
	PRESET("xeon-spr", "vtd", "Intel Xeon 4th gen (Sapphire Rapids) with VT-d",
	       "Invalidation costs from Linux's dmar_perf_latency on a Sapphire Rapids IOMMU (QEMU "
	       "docs). IOTLB and walk-cache sizes of this part are not public: they stay at the "
	       "Xeon E5 values, marked as guesses.",
	       xeon_spr),
	PRESET("epyc", "amdv1", "AMD EPYC (Zen 4/Zen 5: Genoa, Turin) with the AMD IOMMU, v1 tables",
	       "No public measurement of the AMD IOMMU's caches or command latencies was found: "
	       "those are guesses equal to the Intel values. Measured: cache-line flush costs on "
	       "Zen 5. Linux maps v1 tables with every page size but 512 GiB (AMD_IOMMU_PGSIZES); "
	       "add --param amdv1_pgsizes=0xffffff7ffffff000 to model that.",
	       epyc),
	PRESET("neoverse-smmu", "smmuv3", "Arm Neoverse-class server with an SMMUv3",
	       "TLB and walk-cache sizes of gem5's SMMUv3 model; command costs derived from the "
	       "arm-smmu-v3 cmdq measurements on HiSilicon. Not modelled: gem5's 32-entry micro TLB, "
	       "configuration cache, 16 walk slots, 8-cycle device link, and its separate stage-2 "
	       "walk cache sizes. gem5 reports SMMUv3.0 without RIL or HTTU; the preset keeps both: "
	       "add smmuv3_ril=0 or smmuv3_httu=0 for a part without them.",
	       neoverse_smmu),
};

const unsigned ims_preset_count = sizeof(ims_presets) / sizeof(ims_presets[0]);

const struct ims_preset *ims_preset_find(const char *name)
{
	for (unsigned i = 0; i < ims_preset_count; i++)
		if (!strcmp(ims_presets[i].name, name))
			return &ims_presets[i];
	return NULL;
}

int ims_presets_parse(const struct ims_preset **out, unsigned *n, unsigned max,
		      const char *list, struct ims_error *err)
{
	for (const char *p = list;; p++) {
		size_t len = strcspn(p, ",");
		char name[64];
		const struct ims_preset *preset;

		snprintf(name, sizeof(name), "%.*s", (int)(len < sizeof(name) ? len : 0), p);
		if (!(preset = ims_preset_find(name)))
			return ims_error_set(err, IMS_ENOENT, "unknown preset '%.*s' "
					     "(iommusim params --presets)", (int)len, p);
		if (ims_presets_for_model(out, *n, preset->model))
			return ims_error_set(err, IMS_EEXIST, "presets %s and %s are both for model "
					     "%s: give at most one per model",
					     ims_presets_for_model(out, *n, preset->model)->name,
					     preset->name, preset->model);
		if (*n == max)
			return ims_error_set(err, IMS_EINVAL, "more than %u presets", max);
		out[(*n)++] = preset;
		p += len;
		if (!*p)
			return 0;
	}
}

const struct ims_preset *ims_presets_for_model(const struct ims_preset *const *list, unsigned n,
					       const char *model)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(list[i]->model, model))
			return list[i];
	return NULL;
}
