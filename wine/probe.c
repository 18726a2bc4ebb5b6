/*
 * probe.c: tells wine/run.sh whether the Wine in use has ProcessPrng in its
 * own bcryptprimitives.dll. It runs in a fresh prefix, before anything of
 * ours is copied there, so what it finds is Wine's. Exit status 0: Wine has
 * it (wine/prng.c's stand-in must not be installed); 1: it does not.
 *
 * Asking Wine, rather than comparing version numbers or looking for a file
 * on the host, gives the right answer for any Wine build. The DLL is looked
 * up in system32 only, as Go's runtime does: the default search would also
 * find a bcryptprimitives.dll lying in the current or the program's
 * directory.
 */
#include <windows.h>

int main(void)
{
	HMODULE dll = LoadLibraryExW(L"bcryptprimitives.dll", NULL,
				    LOAD_LIBRARY_SEARCH_SYSTEM32);

	if (dll == NULL)
		return 1;
	return GetProcAddress(dll, "ProcessPrng") != NULL ? 0 : 1;
}
