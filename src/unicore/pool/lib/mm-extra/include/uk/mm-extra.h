/* uk/mm-extra.h: flags mm-extra checks (Linux values). */
#ifndef UK_MM_EXTRA_H
#define UK_MM_EXTRA_H
#define UK_MS_ASYNC 1
#define UK_MS_INVALIDATE 2
#define UK_MS_SYNC 4
#define UK_MCL_CURRENT 1
#define UK_MCL_FUTURE 2
#define UK_MCL_ONFAULT 4
#endif
