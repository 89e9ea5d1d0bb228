/* uk/random.h: getrandom(2) flag values (the bytes come from uk_core_random_fill in core). */
#ifndef UK_RANDOM_H
#define UK_RANDOM_H
#define UK_GRND_NONBLOCK 1
#define UK_GRND_RANDOM 2
#define UK_GRND_INSECURE 4
#endif
