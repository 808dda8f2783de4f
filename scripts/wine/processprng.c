/*
 * bcryptprimitives.dll for Wine 8.0, which lacks it.
 *
 * Go 1.22 and later read random bytes with bcryptprimitives.dll!ProcessPrng
 * at start-up and die without it. This DLL exports that one function and
 * answers it with RtlGenRandom (advapi32!SystemFunction036), which Wine has.
 * It is built and installed into a private Wine prefix by
 * scripts/test-windows-wine.sh; it is never used on real Windows.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom */

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
	while (size > 0) {
		ULONG n = size > 0x40000000 ? 0x40000000 : (ULONG)size;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		size -= n;
	}
	return TRUE;
}
