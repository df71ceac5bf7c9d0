/* valgrind_test.h - RUNNING_ON_VALGRIND for tests that behave otherwise
 * under valgrind (0 where its header is not installed). */
#ifndef HS_VALGRIND_TEST_H
#define HS_VALGRIND_TEST_H

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#endif
