import { loadAddon } from "./native.js";

/**
 * Gives the free pages of the native heap back to the kernel (glibc's malloc_trim; see
 * native/addon/memory.cc). What startup freed (V8's compiler zones, the module loader's buffers, a
 * model load's scratch) otherwise stays resident in every server process. Returns false where the
 * C library has no such call, which leaves nothing to do.
 */
export function trimNativeHeap(): boolean {
  return loadAddon().trimNativeHeap();
}
