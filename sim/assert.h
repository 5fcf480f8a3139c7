/* Broken invariants inside the simulator: a bug, not bad input. Bad input
 * goes through struct ims_error; these abort with the place that noticed. */
#ifndef IMS_ASSERT_H
#define IMS_ASSERT_H

void ims_bug(const char *file, int line, const char *what) __attribute__((noreturn));

#define IMS_BUG(what) ims_bug(__FILE__, __LINE__, (what))
#define IMS_ASSERT(cond, what) \
	do { \
		if (!(cond)) \
			IMS_BUG(what); \
	} while (0)

#endif
