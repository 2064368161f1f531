// CRC-32C with the CPU's own instruction: the persistent queue checksums every record it
// writes, and the instruction is about ten times faster than tables. Swift cannot reach
// these instructions, hence this file; everything else about the checksum is in Swift.
#include "crc32c_hw.h"
#include <string.h>

#if defined(__x86_64__)

int sluice_crc32c_hw_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2");
}

__attribute__((target("sse4.2")))
uint32_t sluice_crc32c_hw(uint32_t crc, const void *data, size_t len) {
    const unsigned char *p = data;
    uint64_t c = crc;
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);  // unaligned load
        c = __builtin_ia32_crc32di(c, w);
    }
    uint32_t c32 = (uint32_t)c;
    for (; len > 0; p++, len--) c32 = __builtin_ia32_crc32qi(c32, *p);
    return c32;
}

#elif defined(__aarch64__)
#if defined(__linux__)
#include <sys/auxv.h>
#include <asm/hwcap.h>
int sluice_crc32c_hw_available(void) { return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0; }
#elif defined(__APPLE__)
int sluice_crc32c_hw_available(void) { return 1; }  // every Apple ARM CPU has it
#else
int sluice_crc32c_hw_available(void) { return 0; }
#endif

__attribute__((target("crc")))
uint32_t sluice_crc32c_hw(uint32_t crc, const void *data, size_t len) {
    const unsigned char *p = data;
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);  // unaligned load
        crc = __builtin_arm_crc32cd(crc, w);
    }
    for (; len > 0; p++, len--) crc = __builtin_arm_crc32cb(crc, *p);
    return crc;
}

#else

int sluice_crc32c_hw_available(void) { return 0; }
uint32_t sluice_crc32c_hw(uint32_t crc, const void *data, size_t len) { (void)data; (void)len; return crc; }

#endif
