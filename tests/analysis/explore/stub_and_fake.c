/* For the explored-image test: sched_yield's result is ignored (stubbable), setsid's is checked
 * but nothing it does is needed (fakeable, not stubbable). Prints the same natively and in an
 * image where sched_yield has no handler and setsid is the shared return-0 entry. */
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	sched_yield();
	if (setsid() < 0)
		return 3;
	printf("session %s\n", "ok");
	return 0;
}
