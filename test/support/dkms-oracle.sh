#!/bin/bash
# dkms-oracle.sh — ask dkms itself what it resolves from a dkms.conf.
#
# Loads the function definitions of the installed dkms script (everything
# before the line "# Set a standard path", read at run time; no dkms code is
# copied here), sets the globals the way dkms's main does, then calls dkms's
# own read_conf "$kernelver" "$arch" "$conf" and prints what it resolved.
#
# Usage:
#   dkms-oracle.sh --conf FILE --kernel KVER --arch ARCH
#                  [--dkms-tree DIR] [--source-tree DIR] [--install-tree DIR]
#                  [--dkms /usr/sbin/dkms]
#
# Output (stdout): a flat list of NUL-terminated KEY, VALUE pairs, so any
# value (quotes, spaces, newlines) survives. Keys:
#   meta.*              oracle facts (dkms version, return codes, captured output)
#   global.*            dkms globals after read_conf (module, kernel_source_dir, ...)
#   resolved.NAME[I]    variables read_conf computed (package_name, make_command,
#                       built_module_name, dest_module_location, strip, ...)
#   raw.NAME[I]         every name in dkms_conf_variables as it stood after the
#                       last dkms.conf/override file was sourced, before
#                       read_conf post-processed it
#   sourced.path[I]     every file read_conf sourced (dkms.conf, /etc/dkms/*.conf)
#   sourced.stdout[I]   what sourcing that file printed on stdout (dkms discards it)
# The last pair is meta.complete=1; without it the run died (e.g. dkms's die).

exec </dev/null

oracle_conf=''
oracle_kernel=''
oracle_arch=''
oracle_dkms=/usr/sbin/dkms
oracle_dkms_tree=''
oracle_source_tree=''
oracle_install_tree=''
oracle_have_dkms_tree=''
oracle_have_source_tree=''
oracle_have_install_tree=''

while (($# > 0)); do
    case $1 in
        --conf) oracle_conf=$2; shift ;;
        --kernel) oracle_kernel=$2; shift ;;
        --arch) oracle_arch=$2; shift ;;
        --dkms) oracle_dkms=$2; shift ;;
        --dkms-tree) oracle_dkms_tree=$2; oracle_have_dkms_tree=1; shift ;;
        --source-tree) oracle_source_tree=$2; oracle_have_source_tree=1; shift ;;
        --install-tree) oracle_install_tree=$2; oracle_have_install_tree=1; shift ;;
        *) echo "dkms-oracle: unknown argument: $1" >&2; exit 64 ;;
    esac
    shift
done

if [[ ! $oracle_conf || ! $oracle_kernel || ! $oracle_arch ]]; then
    echo "dkms-oracle: --conf, --kernel and --arch are required" >&2
    exit 64
fi
if [[ ! -r $oracle_dkms ]]; then
    echo "dkms-oracle: cannot read dkms script $oracle_dkms" >&2
    exit 69
fi

oracle_tmp=$(mktemp -d "${TMPDIR:-/tmp}/dkms-oracle.XXXXXX") || exit 70
trap 'rm -rf "$oracle_tmp"' EXIT

# --- output helpers (all names start with oracle_/__oracle_ to stay clear of dkms's) ---
oracle_emit() { printf '%s\0%s\0' "$1" "$2"; }

# oracle_emit_file KEY FILE: the file's content, trailing newlines kept.
oracle_emit_file() {
    local __oracle_content
    __oracle_content=$(cat "$2" 2>/dev/null; printf x)
    oracle_emit "$1" "${__oracle_content%x}"
}

# oracle_emit_var PREFIX NAME: one pair per set index of variable NAME.
oracle_emit_var() {
    local __oracle_prefix=$1 __oracle_name=$2 __oracle_i
    local -a __oracle_idx=()
    declare -p "$__oracle_name" >/dev/null 2>&1 || return 0
    eval "__oracle_idx=(\"\${!${__oracle_name}[@]}\")"
    for __oracle_i in "${__oracle_idx[@]}"; do
        eval "printf '%s[%s]\0%s\0' \"\$__oracle_prefix.\$__oracle_name\" \"\$__oracle_i\" \"\${${__oracle_name}[\$__oracle_i]}\""
    done
}

# --- load dkms's function definitions, read at run time ---
oracle_marker='# Set a standard path'
oracle_marker_count=$(grep -c -x -F -- "$oracle_marker" "$oracle_dkms")
if [[ $oracle_marker_count != 1 ]]; then
    echo "dkms-oracle: expected exactly one '$oracle_marker' line in $oracle_dkms, found $oracle_marker_count" >&2
    exit 65
fi
oracle_defs=$(sed -n "/^${oracle_marker}\$/q;p" "$oracle_dkms")
oracle_dkms_version=$(sed -n 's/^[[:space:]]*echo \$"dkms-\(.*\)"[[:space:]]*$/\1/p' "$oracle_dkms" | head -n 1)

shopt -s extglob
eval "$oracle_defs" || { echo "dkms-oracle: failed to load dkms functions" >&2; exit 65; }
unset oracle_defs
for oracle_fn in read_conf safe_source read_framework_conf distro_version override_dest_module_location; do
    if ! declare -F "$oracle_fn" >/dev/null; then
        echo "dkms-oracle: dkms at $oracle_dkms does not define $oracle_fn" >&2
        exit 65
    fi
done

# Wrap safe_source (dkms's own copy still does the work) to record, for the
# read_conf call under test, which files were sourced, what each printed on
# stdout (safe_source sends it to /dev/null), and the raw directive values
# before read_conf post-processes them.
eval "__oracle_dkms_safe_source() $(declare -f safe_source | tail -n +2)"
__oracle_capture=''
__oracle_sourced_count=0
safe_source() {
    __oracle_dkms_safe_source "$@"
    local __oracle_rc=$?
    if [[ $__oracle_capture ]]; then
        local __oracle_n=$__oracle_sourced_count __oracle_v
        __oracle_sourced_count=$((__oracle_sourced_count + 1))
        # Re-source in a throwaway subshell purely to see its stdout.
        ( . "$1" ) >"$oracle_tmp/srcout.$__oracle_n" 2>/dev/null </dev/null
        {
            oracle_emit "sourced.path[$__oracle_n]" "$1"
            oracle_emit_file "sourced.stdout[$__oracle_n]" "$oracle_tmp/srcout.$__oracle_n"
        } >>"$oracle_tmp/sourced"
        {
            for __oracle_v in $dkms_conf_variables; do
                oracle_emit_var raw "$__oracle_v"
            done
        } >"$oracle_tmp/raw"
    fi
    return $__oracle_rc
}

# --- globals, set the way dkms's main does ---
PATH="$PATH:/usr/lib/dkms"
umask 022
unset CC CXX CFLAGS CXXFLAGS LDFLAGS

current_kernel=$(uname -r)
current_os=$(uname -s)
dkms_tree="/var/lib/dkms"
source_tree="/usr/src"
install_tree="/lib/modules"
tmp_location=${TMPDIR:-/tmp}
verbose=""
symlink_modules=""

[[ ! ${ADDON_MODULES_DIR:-} && -e /etc/sysconfig/module-init-tools ]] && . /etc/sysconfig/module-init-tools
addon_modules_dir="${ADDON_MODULES_DIR:-}"
running_distribution=''
[[ ! ${addon_modules_dir} ]] && running_distribution="$(distro_version)"
weak_modules="${WEAK_MODULES_BIN:-}"

read_framework_conf $dkms_framework_nonsigning_variables

module=""
module_version=""
template_kernel=""
conf=""
kernel_config=""
kconfig_fromcli=""
archive_location=""
kernel_source_dir=""
ksourcedir_fromcli=""
action=""
force=""
force_version_override=""
binaries_only=""
source_only=""
all=""
module_suffix=""
module_uncompressed_suffix=""
module_compressed_suffix=""
rpm_safe_upgrade=""
declare -a directive_array=() kernelver=() arch=()
weak_modules=''
last_mvka=''
last_mvka_conf=''
try_source_tree=''
die_is_fatal="yes"
[ -x /sbin/weak-modules ] && weak_modules='/sbin/weak-modules'
[ -x /usr/lib/module-init-tools/weak-modules ] && weak_modules='/usr/lib/module-init-tools/weak-modules'
no_depmod=""
modprobe_on_install="${modprobe_on_install:-}"
autoinstall_all_kernels="${autoinstall_all_kernels:-}"

# Command-line equivalents (--dkmstree/--sourcetree/--installtree, -k, -a).
[[ $oracle_have_dkms_tree ]] && dkms_tree=$oracle_dkms_tree
[[ $oracle_have_source_tree ]] && source_tree=$oracle_source_tree
[[ $oracle_have_install_tree ]] && install_tree=$oracle_install_tree
kernelver=("$oracle_kernel")
arch=("$oracle_arch")
parallel_jobs=$(get_num_cpus)
[[ "$parallel_jobs" = 0 ]] && parallel_jobs=""

oracle_emit meta.version dkms-oracle-1
oracle_emit meta.dkms "$oracle_dkms"
oracle_emit meta.dkms_version "$oracle_dkms_version"

# --- pass 1: like add_source_tree -> get_pkginfo_from_conf, module unknown ---
# Run in a subshell so it leaves no state (make_command, last_mvka, ...) behind.
(
    read_conf "$oracle_kernel" "$oracle_arch" "$oracle_conf" >"$oracle_tmp/p1.out" 2>"$oracle_tmp/p1.err"
    printf '%s' "$?" >"$oracle_tmp/p1.rc"
    printf '%s' "$PACKAGE_NAME" >"$oracle_tmp/p1.name"
    printf '%s' "$PACKAGE_VERSION" >"$oracle_tmp/p1.version"
)
oracle_p1_status=$?
if [[ -e $oracle_tmp/p1.rc ]]; then
    oracle_emit_file meta.pkginfo_rc "$oracle_tmp/p1.rc"
    oracle_emit meta.pkginfo_died 0
else
    # read_conf called dkms's die (exit) before returning.
    oracle_emit meta.pkginfo_rc "$oracle_p1_status"
    oracle_emit meta.pkginfo_died 1
fi
oracle_emit_file meta.pkginfo_package_name "$oracle_tmp/p1.name"
oracle_emit_file meta.pkginfo_package_version "$oracle_tmp/p1.version"
oracle_emit_file meta.pkginfo_stdout "$oracle_tmp/p1.out"
oracle_emit_file meta.pkginfo_stderr "$oracle_tmp/p1.err"

# module/module_version from the conf, as add_source_tree sets them.
module=$(cat "$oracle_tmp/p1.name" 2>/dev/null; printf x)
module=${module%x}
module_version=$(cat "$oracle_tmp/p1.version" 2>/dev/null; printf x)
module_version=${module_version%x}

# --- pass 2: the read_conf under test, in this shell ---
__oracle_capture=1
read_conf "$oracle_kernel" "$oracle_arch" "$oracle_conf" >"$oracle_tmp/p2.out" 2>"$oracle_tmp/p2.err"
oracle_rc=$?
__oracle_capture=''

oracle_emit meta.rc "$oracle_rc"
oracle_emit_file meta.stdout "$oracle_tmp/p2.out"
oracle_emit_file meta.stderr "$oracle_tmp/p2.err"

# Number of module records, computed exactly as read_conf does.
oracle_records=0
for oracle_s in ${#BUILT_MODULE_NAME[@]} ${#BUILT_MODULE_LOCATION[@]} \
    ${#DEST_MODULE_NAME[@]} ${#DEST_MODULE_LOCATION[@]}; do
    ((oracle_s > oracle_records)) && oracle_records=$oracle_s
done
oracle_emit meta.record_count "$oracle_records"

for oracle_v in module module_version kernel_source_dir kernel_config running_distribution \
    addon_modules_dir current_kernel current_os dkms_tree source_tree install_tree tmp_location; do
    oracle_emit "global.$oracle_v" "${!oracle_v}"
done

for oracle_v in package_name package_version make_command clean build_exclude \
    post_add post_build post_install post_remove pre_build pre_install obsolete_by \
    built_module_name built_module_location dest_module_name dest_module_location strip \
    patch_array; do
    oracle_emit_var resolved "$oracle_v"
done

[[ -e $oracle_tmp/raw ]] && cat "$oracle_tmp/raw"
[[ -e $oracle_tmp/sourced ]] && cat "$oracle_tmp/sourced"
oracle_emit meta.complete 1
exit 0
