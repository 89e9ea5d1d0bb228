/* Prints the working directory, then writes a file by a relative name and reads it back by its
 * absolute one (unicore run -w DIR: the directory is made if missing). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char cwd[256], path[300], back[16] = { 0 };
	int fd;

	if (!getcwd(cwd, sizeof(cwd)))
		return perror("getcwd"), 1;
	printf("cwd=%s\n", cwd);
	fd = open("rel.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "here", 4) != 4 || close(fd))
		return perror("rel.txt"), 1;
	snprintf(path, sizeof(path), "%s/rel.txt", strcmp(cwd, "/") ? cwd : "");
	fd = open(path, O_RDONLY);
	if (fd < 0 || read(fd, back, sizeof(back) - 1) != 4)
		return perror(path), 1;
	printf("%s: %s\n", path, back);
	return 0;
}
