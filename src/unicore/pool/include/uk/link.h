/* uk/link.h: link-time helpers, free of other headers (the file-system libraries include it
 * without core, as their host tests do). */
#ifndef UK_LINK_H
#define UK_LINK_H

/* An optional dependency on another library: after including that library's header (every pool
 * library's include/ is on the include path, linked or not), UK_OPTIONAL(uk_vfs_kopen); makes the
 * reference weak, so the symbol's address is NULL when the plan lacks the library. The prototype
 * thus always comes from the provider's header, never from a hand-written copy. */
#define UK_PRAGMA(x) _Pragma(#x)
#define UK_OPTIONAL(sym) UK_PRAGMA(weak sym)
#endif
