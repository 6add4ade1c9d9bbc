/* bigpage: the memory of libdeflate's compressors, in a transparent huge page where the kernel has one */
#include <stddef.h>

/* n bytes in a mapping of their own whose first 2 MiB are one huge page if
   the kernel gives one (NULL: out of memory); libdeflate's malloc */
void *bigpage_alloc(size_t n);
/* unmap what bigpage_alloc returned; libdeflate's free */
void bigpage_free(void *p);
