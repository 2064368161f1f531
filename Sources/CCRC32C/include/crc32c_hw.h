#ifndef SLUICE_CRC32C_HW_H
#define SLUICE_CRC32C_HW_H
#include <stddef.h>
#include <stdint.h>

/// Whether this CPU has CRC-32C instructions (SSE 4.2 on x86-64, the CRC extension on ARMv8).
int sluice_crc32c_hw_available(void);

/// Continues a CRC-32C over `len` bytes with the CPU's instructions. `crc` is the running
/// (inverted) register value, as the table version keeps it. Call only when available.
uint32_t sluice_crc32c_hw(uint32_t crc, const void *data, size_t len);

#endif
