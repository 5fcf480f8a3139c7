/* PCIe Address Translation Services: a device's own translation cache (ATC,
 * "device TLB") and its invalidation (docs/ats.md).
 *
 * A device with ATS asks the IOMMU for translations (ATS Translation
 * Requests, PCIe Base Spec ch. 10), keeps them in its ATC and then sends its
 * DMAs already translated: those bypass the IOMMU's IOTLB and walker. Two
 * consequences the simulator reports:
 *  - every IOTLB invalidation of a range such a device may cache must also
 *    reach the device (VT-d device-TLB invalidate descriptor, AMD
 *    INVALIDATE_IOTLB_PAGES, SMMUv3 CMD_ATC_INV), and a sync waits for the
 *    device's ATS Invalidate Completion, which takes far longer than the
 *    IOMMU's own invalidation;
 *  - the IOMMU cannot see translated writes, so with dirty tracking it sets D
 *    when it grants write permission (Arm IHI 0070 3.13.7.2: a Translation
 *    Request with NW=0 to a writable-clean page makes it writable-dirty
 *    before the completion grants W): pessimistic dirty pages, and a dirty
 *    clear must invalidate the ATC as well as the IOTLB.
 * The DMA side (ATC lookup, translation requests, their timing) lives with
 * the rest of the DMA path in host.c.
 */
#include "sim/host/host.h"

#include "sim/host/host_internal.h"

int ims_host_device_enable_ats(struct ims_sim *sim, struct ims_device *dev, uint64_t entries,
			       uint64_t inv_cycles, struct ims_error *err)
{
	uint64_t ways = sim->params.ats_atc_ways < entries ? sim->params.ats_atc_ways : entries;

	if (dev->domain)
		return ims_error_set(err, IMS_EINVAL,
				     "device '%s': ATS must be enabled before the device is attached",
				     dev->name);
	if (dev->ats)
		return ims_error_set(err, IMS_EEXIST, "device '%s': ATS is already enabled",
				     dev->name);
	if (!entries || entries % ways || !ims_is_pow2(entries / ways))
		return ims_error_set(err, IMS_EINVAL,
				     "device '%s': ats=%llu entries / %llu ways (ats_atc_ways) must "
				     "give a power-of-two set count",
				     dev->name, (unsigned long long)entries,
				     (unsigned long long)ways);
	/* the ATC holds what the IOMMU hands out: the IOTLB's page sizes */
	if (ims_iotlb_init(&dev->atc, entries, ways, sim->iotlb.size_lg2, sim->iotlb.nsizes)) {
		ims_iotlb_fini(&dev->atc);
		return ims_error_set(err, IMS_ENOMEM, "out of memory (ATC of device '%s')",
				     dev->name);
	}
	dev->ats = true;
	dev->ats_inv_cycles = inv_cycles ? inv_cycles : sim->costs.ats_inv_ns;
	return 0;
}

struct ims_device *ims_ats_device(const struct ims_sim *sim, uint16_t sid)
{
	for (unsigned i = 0; i < sim->ndevices; i++)
		if (sim->devices[i]->sid == sid)
			return sim->devices[i]->ats ? sim->devices[i] : NULL;
	return NULL;
}

struct ims_device *ims_ats_device_next(const struct ims_sim *sim, const struct ims_domain *dom,
				       unsigned *i)
{
	while (*i < sim->ndevices) {
		struct ims_device *dev = sim->devices[(*i)++];

		if (dev->ats && dev->domain == dom)
			return dev;
	}
	return NULL;
}

void ims_atc_invalidate(struct ims_sim *sim, struct ims_device *dev, uint64_t start,
			uint64_t last)
{
	uint64_t dropped = start == 0 && last == UINT64_MAX
				   ? ims_iotlb_inv_all(&dev->atc)
				   : ims_iotlb_inv_range(&dev->atc, 0, start, last);

	IMS_STAT_INC(&sim->stats, inv_devtlb);
	IMS_STAT_ADD(&sim->stats, atc_inv_entries, dropped);
	ims_inv_devtlb_sent(sim, dev->ats_inv_cycles);
}
