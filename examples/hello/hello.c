// SPDX-License-Identifier: GPL-2.0
/*
 * hello: the example module kmodforge builds, installs and packages in its README.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/utsname.h>

static char *whom = "world";
module_param(whom, charp, 0444);
MODULE_PARM_DESC(whom, "who to greet when the module is loaded");

static int __init hello_init(void)
{
	pr_info("hello: hello, %s, from kernel %s\n", whom, init_utsname()->release);
	return 0;
}

static void __exit hello_exit(void)
{
	pr_info("hello: goodbye, %s\n", whom);
}

module_init(hello_init);
module_exit(hello_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmodforge");
MODULE_DESCRIPTION("Example out-of-tree module built by kmodforge");
MODULE_VERSION("1.0");
