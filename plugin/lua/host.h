/* host: the Lua interpreter that runs definitions and the backends */

struct buf;

/* one Lua module compiled into the binary */
struct embedded {
	const char *name;
	const char *src;
	size_t len;
};

/* the modules, ended by a NULL name (plugin/lua/embedded.c, generated) */
extern const struct embedded embedded_lua[];
/* the report page's files by name, ended by a NULL name (plugin/read/embeddedpage.c, generated) */
extern const struct embedded embedded_page[];

/* require(module).main(args) in a new interpreter. A number it returns is
   the exit status; a string goes to *text (malloc'd, when text is not NULL)
   and the status is 0. Errors are printed as one line, and the status is 1. */
int host_run(const char *module, int argc, char *argv[], char **text);
/* host_run, with the string's bytes (which may hold NULs) appended to text */
int host_call(const char *module, int argc, char *argv[], struct buf *text);
/* host_run for a command that exits next: the interpreter is left for the
   process's end to free */
int host_main(const char *module, int argc, char *argv[]);
