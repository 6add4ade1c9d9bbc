/* err: one-line messages, "imagegen: ...", and the exit on a fatal one */

#ifdef __GNUC__
#define NORETURN __attribute__((noreturn))
#define PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define NORETURN
#define PRINTF(f, a)
#endif

#ifdef FUZZING
#include <setjmp.h>
/* fuzz builds: where fatal returns to, instead of exiting, when set */
extern jmp_buf *fatalreturn;
#endif

/* the program name used as the prefix of every message */
extern const char *argv0;
/* the status fatal exits with: 1, unless a command says otherwise (diff: 2) */
extern int fatalstatus;
/* while set, fatal hands it the message (without "imagegen: ") instead of
   printing it and exiting; it does not return (the Lua host's: a Lua error) */
extern void (*fatalhook)(const char *msg);
/* while set, what fatal's messages are about ("build.lua:3", the definition
   a helper's edge comes from): "imagegen: build.lua:3: msg" */
extern const char *fatalwhere;
/* print "imagegen: msg" (a trailing ':' appends strerror(errno)) and exit fatalstatus */
NORETURN void fatal(const char *fmt, ...) PRINTF(1, 2);
/* remove path if fatal is called before it is cleared (NULL clears) */
void removeonfatal(const char *path);
/* print "imagegen: msg" like fatal, without exiting */
void warn(const char *fmt, ...) PRINTF(1, 2);
