/* uk_config.h for host unit tests of the binary-support libraries (the build generates the real one). */
#ifndef UK_CONFIG_H
#define UK_CONFIG_H
#define UK_APP_NAME "app"
#define UK_CORE_LOGLEVEL 2
#define UK_PROCESS_STACK_KB 1024
#define UK_POSIX_RLIMIT_NOFILE 1024
#endif
