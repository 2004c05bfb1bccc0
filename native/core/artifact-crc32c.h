// CRC-32C (Castagnoli), the artifact's trailing checksum. Hand-written,
// portable slice-by-8; detects every single-byte change and every burst of up
// to 32 bits, which is what "a flipped byte anywhere is detected" needs.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mlops {

// crc: a previous result to continue from (0 to start).
uint32_t Crc32c(const uint8_t* data, size_t size, uint32_t crc = 0);

}  // namespace mlops
