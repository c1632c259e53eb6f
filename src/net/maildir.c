/*
 * NAME
 *	maildir - the messages of a maildir
 * DESCRIPTION
 *	See maildir.h.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "base/xmem.h"
#include "net/maildir.h"

bool
maildir_is(const char *path)
{
	struct stat st;
	char *cur = xasprintf("%s/cur", path);
	bool yes = stat(cur, &st) == 0 && S_ISDIR(st.st_mode);

	free(cur);
	return yes;
}

int
maildir_each(const char *path, int (*each)(void *ctx, const char *file), void *ctx)
{
	static const char *const subs[] = { "cur", "new" };
	int ret = 0;

	for (size_t i = 0; i < 2 && ret >= 0; i++) {
		char *dir = xasprintf("%s/%s", path, subs[i]);
		struct dirent **names = NULL;
		int n = scandir(dir, &names, NULL, alphasort);

		for (int k = 0; k < n; k++) {
			if (ret >= 0 && names[k]->d_name[0] != '.') {
				char *file = xasprintf("%s/%s", dir, names[k]->d_name);

				ret = each(ctx, file);
				free(file);
			}
			free(names[k]);
		}
		free(names);
		free(dir);
	}
	return ret < 0 ? ret : 0;
}
