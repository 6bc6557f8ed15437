/* Test-only stand-in for Windows' bcryptprimitives.dll, which Wine 8 (Debian
 * 12) lacks: Rust's standard library imports ProcessPrng from it. Used only
 * by the Wine smoke test of the Windows build; real Windows has the DLL. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom */

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
