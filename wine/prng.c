/*
 * prng.c: a stand-in bcryptprimitives.dll exporting ProcessPrng, for Wine
 * versions that lack it (Debian 12's Wine 8.0 among them).
 *
 * Why it exists: the runtime of a Go windows program (Go 1.26 here) takes
 * its random bytes from ProcessPrng in bcryptprimitives.dll, which Windows
 * 10 and later have, and dies at start with "bcryptprimitives.dll not
 * found" where the DLL is missing, as in Wine 8.0. wine/run.sh
 * builds this file and copies it into the Wine prefix's system32 only when
 * the Wine in use has no ProcessPrng of its own, so that the test binaries
 * can run there; it is never part of ipcbuf or of what ipcbuf ships.
 *
 * The bytes come from RtlGenRandom (exported by advapi32 as
 * SystemFunction036), which Wine implements on the host's random source.
 * mingw's headers declare it only under conditions, so it is declared here.
 *
 * Built with: x86_64-w64-mingw32-gcc -shared -o bcryptprimitives.dll
 *   prng.c -ladvapi32 -Wl,--kill-at
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/*
 * ProcessPrng fills data with n random bytes and returns TRUE, as the real
 * one does (Microsoft documents that it always succeeds). RtlGenRandom takes
 * a ULONG length, so a larger request goes in chunks of at most 1 GiB; if
 * RtlGenRandom ever fails, FALSE tells the caller, and Go's runtime then
 * stops rather than use bytes that are not random.
 */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T n)
{
	const SIZE_T chunk = (SIZE_T)1 << 30;

	while (n > 0) {
		ULONG len = (ULONG)(n < chunk ? n : chunk);

		if (!SystemFunction036(data, len))
			return FALSE;
		data += len;
		n -= len;
	}
	return TRUE;
}
