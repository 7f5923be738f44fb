/* bcryptprimitives.dll for Wine 8, which lacks it: Go's Windows runtime
   takes its random bytes from ProcessPrng there. The e2e tests build it
   with mingw-w64 into their Wine prefix; it is not shipped. */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size) {
	while (size > 0) {
		ULONG n = size > 0x40000000 ? 0x40000000 : (ULONG)size;
		if (BCryptGenRandom(NULL, data, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
			return FALSE;
		data += n;
		size -= n;
	}
	return TRUE;
}
