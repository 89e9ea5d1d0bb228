/* uk_config.h for host unit tests of pool code (the image build generates the real one). */
#ifndef UK_CONFIG_H
#define UK_CONFIG_H
#define UK_APP_NAME "app"
#define UK_CORE_LOGLEVEL 2
#define UK_CORE_HEAP_CHUNK_KB 64
#endif
