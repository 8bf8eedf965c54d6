// SPDX-License-Identifier: MIT
/*
 * Runs the fuzz harness on files without libFuzzer: the committed corpus
 * under ctest in every build (gcc, ASan, TSan), or a crash reproducer.
 *
 * Usage: fuzz_ioctl_replay FILE|DIR...   (a directory: every file in it)
 *        RESV_FUZZ_GENERATE=DIR fuzz_ioctl_replay   (write the seed corpus)
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int replay_file(const char *path)
{
	static uint8_t data[1 << 20];
	size_t len;
	FILE *f = fopen(path, "rb");

	if (!f) {
		fprintf(stderr, "fuzz_ioctl_replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	len = fread(data, 1, sizeof(data), f);
	fclose(f);
	LLVMFuzzerTestOneInput(data, len);
	printf("fuzz_ioctl_replay: %s (%zu bytes) ok\n", path, len);
	return 0;
}

static int replay_dir(const char *dir)
{
	struct dirent **names;
	char path[4096];
	int n, failed = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "fuzz_ioctl_replay: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			failed |= replay_file(path);
		}
		free(names[i]);
	}
	free(names);
	return failed;
}

int main(int argc, char **argv)
{
	int failed = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			failed |= replay_dir(argv[i]);
		else
			failed |= replay_file(argv[i]);
	}
	return failed;
}
