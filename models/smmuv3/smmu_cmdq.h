/* SMMUv3 command queue: 16-byte commands in a ring in memory, produced by
 * host software, consumed in order by the SMMU.
 *
 * Arm SMMUv3 architecture specification, IHI 0070 G.b:
 *   4.1.1  command opcodes (dw0[7:0])
 *   4.3.1  CMD_CFGI_STE(StreamID, SSec, Leaf)          0x03
 *   4.3.3  CMD_CFGI_CD(StreamID, SSec, SubstreamID, Leaf) 0x05
 *   4.4.1.1 range invalidation and level hint: NUM, SCALE, TG, TTL (SMMUv3.2 RIL)
 *   4.4.2.2 CMD_TLBI_NH_ASID(VMID, ASID)               0x11
 *   4.4.2.4 CMD_TLBI_NH_VA(VMID, ASID, Addr, Leaf)     0x12
 *   4.4.3.1 CMD_TLBI_S2_IPA(VMID, Addr, Leaf)          0x2A
 *   4.4.3.2 CMD_TLBI_S12_VMALL(VMID)                   0x28
 *   4.5.1  CMD_ATC_INV(StreamID, SSV, SubstreamID, Global, Address, Size) 0x40
 *   4.7.3  CMD_SYNC(ComplSignal, MSIAddress, MSIData, MSIWriteAttributes) 0x46
 * The spec gives the command layouts as figures. NUM/SCALE/TG/TTL bit
 * positions are in the text of 4.4.1.1 (over the 128-bit command: SCALE
 * [25:20] (5 bits, [24:20], without SMMU_IDR5.DS), NUM [16:12], TG [75:74],
 * TTL [73:72]); ASID [63:48], VMID [47:32] and the opcode in the NH_ASID
 * figure's table. The other positions (Leaf, Address, StreamID,
 * SubstreamID, CS, MSH, MSIAttr, MSIData, MSIAddress) are from the figures
 * as public drivers encode them; docs/models/smmuv3.md lists which were
 * checked against spec text and which were not.
 *
 * Completion: CMD_SYNC with CS=SIG_IRQ and MSIAddress = the address of the
 * CMD_SYNC's own queue slot, MSIData = 0. The SMMU's 32-bit MSI write of 0
 * over the slot's first word is what the host polls for (the scheme Linux
 * uses when the SMMU supports coherent MSIs, ARM_SMMU_OPT_MSIPOLL).
 */
#ifndef SMMU_CMDQ_H
#define SMMU_CMDQ_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/bits.h"

struct ims_sim;

#define SMMU_CMD_BYTES       16u

/* Opcodes (4.1.1) */
#define SMMU_CMD_CFGI_STE        0x03u
#define SMMU_CMD_CFGI_CD         0x05u
#define SMMU_CMD_TLBI_NH_ASID    0x11u
#define SMMU_CMD_TLBI_NH_VA      0x12u
#define SMMU_CMD_TLBI_S12_VMALL  0x28u
#define SMMU_CMD_TLBI_S2_IPA     0x2au
#define SMMU_CMD_ATC_INV         0x40u
#define SMMU_CMD_SYNC            0x46u

/* dw0 (bits 63:0) */
#define SMMU_CMD0_OP         IMS_GENMASK(7, 0)
#define SMMU_CMD0_GLOBAL     IMS_BIT(9)            /* ATC_INV: all PASIDs (with SSV) */
#define SMMU_CMD0_SSEC       IMS_BIT(10)           /* CFGI: Secure StreamID */
#define SMMU_CMD0_SSV        IMS_BIT(11)           /* CFGI_CD: SubstreamID valid */
#define SMMU_CMD0_SSID       IMS_GENMASK(31, 12)   /* CFGI_CD: SubstreamID */
#define SMMU_CMD0_SID        IMS_GENMASK(63, 32)   /* CFGI: StreamID */
#define SMMU_CMD0_NUM        IMS_GENMASK(16, 12)   /* TLBI: range multiplier - 1 */
#define SMMU_CMD0_SCALE      IMS_GENMASK(24, 20)   /* TLBI: range scale (SMMU_IDR5.DS=0) */
#define SMMU_CMD0_VMID       IMS_GENMASK(47, 32)
#define SMMU_CMD0_ASID       IMS_GENMASK(63, 48)
#define SMMU_CMD0_CS         IMS_GENMASK(13, 12)   /* SYNC: completion signal */
#define SMMU_CMD0_MSH        IMS_GENMASK(23, 22)   /* SYNC: MSI shareability */
#define SMMU_CMD0_MSIATTR    IMS_GENMASK(27, 24)   /* SYNC: MSI memory attributes */
#define SMMU_CMD0_MSIDATA    IMS_GENMASK(63, 32)   /* SYNC: MSI payload */
/* dw1 (bits 127:64) */
#define SMMU_CMD1_LEAF       IMS_BIT(0)            /* CFGI and TLBI: Leaf */
#define SMMU_CMD1_TTL        IMS_GENMASK(9, 8)     /* TLBI: level hint, bits 73:72 */
#define SMMU_CMD1_TG         IMS_GENMASK(11, 10)   /* TLBI: granule, bits 75:74 */
#define SMMU_CMD1_VA         IMS_GENMASK(63, 12)   /* TLBI_NH_VA: Address[63:12] */
#define SMMU_CMD1_IPA        IMS_GENMASK(55, 12)   /* TLBI_S2_IPA: Address[55:12] */
#define SMMU_CMD1_MSIADDR    IMS_GENMASK(55, 2)    /* SYNC: MSIAddress[55:2] */
#define SMMU_CMD1_ATC_SIZE   IMS_GENMASK(5, 0)     /* ATC_INV: span 4 KiB << Size */
#define SMMU_CMD1_ATC_ADDR   IMS_GENMASK(63, 12)   /* ATC_INV: Address[63:12] */

/* CMD_ATC_INV Size 52: every address (4.5.1); larger values are illegal. */
#define SMMU_ATC_SIZE_ALL    52u

/* CMD_SYNC.CS (4.7.3) */
#define SMMU_CS_NONE         0u
#define SMMU_CS_IRQ          1u
#define SMMU_CS_SEV          2u
/* TG (4.4.1.1): 0b01 4 KiB */
#define SMMU_TG_ANY          0u
#define SMMU_TG_4KB          1u
#define SMMU_MSIATTR_OIWB    0xfu  /* Normal, inner/outer write-back (STE.MemAttr encoding) */

struct smmu_cmd {
	uint64_t dw[2];
};

static inline unsigned smmu_cmd_op(const struct smmu_cmd *c)
{
	return (unsigned)ims_field_get(SMMU_CMD0_OP, c->dw[0]);
}

/* Encoders */
struct smmu_cmd smmu_cmd_cfgi_ste(uint32_t sid, bool leaf);
struct smmu_cmd smmu_cmd_cfgi_cd(uint32_t sid, uint32_t ssid, bool leaf);
struct smmu_cmd smmu_cmd_tlbi_nh_asid(uint16_t vmid, uint16_t asid);
struct smmu_cmd smmu_cmd_tlbi_s12_vmall(uint16_t vmid);
/* TLBI_NH_VA (stage 1: vmid, asid) or TLBI_S2_IPA (stage 2: vmid). With
 * tg = SMMU_TG_ANY, num/scale/ttl must be 0 (a single-address invalidation). */
struct smmu_cmd smmu_cmd_tlbi_addr(unsigned stage, uint16_t vmid, uint16_t asid, uint64_t addr,
				   bool leaf, unsigned tg, unsigned ttl, unsigned num,
				   unsigned scale);
struct smmu_cmd smmu_cmd_sync_msi(uint64_t msi_pa, uint32_t msi_data);
/* CMD_ATC_INV of [start, last] (0, UINT64_MAX: all) for StreamID sid, no
 * PASID: one naturally aligned span covering the range, as Linux's
 * arm_smmu_atc_inv_to_cmd picks it (never split). */
struct smmu_cmd smmu_cmd_atc_inv(uint32_t sid, uint64_t start, uint64_t last);
/* The range an ATC_INV's Address and Size stand for (4.5.1). */
void smmu_atc_inv_range(const struct smmu_cmd *c, uint64_t *start, uint64_t *last);

/* The TLBI commands covering [start, last] of one domain. */
struct smmu_inv_req {
	unsigned stage;          /* 1: NH_VA / NH_ASID; 2: S2_IPA / S12_VMALL */
	uint16_t vmid, asid;
	uint64_t start, last;    /* inclusive, 4 KiB aligned */
	bool leaf;               /* Leaf=1: no table was freed */
	unsigned leaf_lg2;       /* size of every leaf in the range, 0 if unknown/mixed */
	bool ril;                /* SMMU_IDR3.RIL: range commands and TTL */
	uint64_t max_ops;        /* without RIL: per-address commands before NH_ASID/S12_VMALL */
};

/* Fill out[0..n) and return n, at most max (the caller sizes out for the
 * worst case: smmu_inv_worst_case). With RIL: as few range commands as
 * cover the range exactly, TTL = the leaves' Arm level when leaf_lg2 is
 * known. Without: one command per leaf-sized step (4 KiB when leaf_lg2 is
 * unknown), or one whole-ASID/VMID command if that would take max_ops or
 * more. */
unsigned smmu_inv_build(const struct smmu_inv_req *r, struct smmu_cmd *out, unsigned max);
unsigned smmu_inv_worst_case(const struct smmu_inv_req *r);

/* The ring as both sides see it: SMMU_CMDQ_BASE, and the PROD (host) and
 * CONS (SMMU) indexes, in slots. */
struct smmu_cmdq {
	uint64_t base_pa;
	unsigned slots;          /* power of two */
	unsigned prod, cons;
};

void smmu_cmdq_init(struct smmu_cmdq *q, uint64_t base_pa, unsigned slots);

/* One host submission ending in a CMD_SYNC: write cmds[0..n) and the
 * CMD_SYNC, ringing the PROD doorbell every `batch` commands and at the end
 * (Linux's arm_smmu_cmdq_batch), let the SMMU consume them, poll the MSI
 * word until the sync completes. Charges CPU (command writes, doorbells,
 * poll), SMMU time per command, and the stall. Callers count iotlb_syncs
 * when the sync is an IOTLB sync (not for a configuration-only sync). */
void smmu_cmdq_submit_sync(struct ims_sim *sim, struct smmu_cmdq *q, const struct smmu_cmd *cmds,
			   unsigned n);

#endif
