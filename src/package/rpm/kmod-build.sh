#!/bin/bash
# kmod-build.sh: builds the kernel modules of a dkms.conf for one kernel at a time, the way dkms and
# kmodforge do, for the spec of a source RPM made by `kmodforge mksrpm`. It needs bash, make, a compiler,
# patch and the kernel's headers (plus strip, and xz/zstd/gzip when the kernel compresses its modules);
# not kmodforge, not dkms.
#
#   kmod-build.sh kernels            prints the kernels to build for, one per line
#   kmod-build.sh plan               prints, for each of those kernels, tab-separated:
#                                      build <K>                 followed by one line per module:
#                                      module <K> <name> <location> <suffix>
#                                      excluded <K> <reason>     (BUILD_EXCLUSIVE_* keeps it out)
#   kmod-build.sh explain            says which kernels get no package and why; fails as plan does,
#                                    and when no kernel is left
#   kmod-build.sh resolve <K>        prints what dkms.conf means for K (make command, patches, modules)
#   kmod-build.sh build <K>          builds in $KMF_WORK/<K>: patches, PRE_BUILD, make, then strip,
#                                    sign and compress each module as the kernel expects, POST_BUILD
#   kmod-build.sh install <K> <DIR>  copies what `build <K>` made to DIR$KMF_MODDIR/<K>/<location>/
#   kmod-build.sh build-userland <K> runs USERLAND_BUILD (kmodforge's dkms.conf extension) once, in a copy
#                                    of the source in $KMF_WORK/userland, and stages each USERLAND_FILE,
#                                    dkms.conf read for K (plan names the kernel on its userland lines:
#                                      userland <K> <path on the system> <mode>)
#   kmod-build.sh install-userland <DIR>  copies what build-userland staged to DIR
#
# Settings come from the environment:
#   KMF_NAME, KMF_VERSION   PACKAGE_NAME and PACKAGE_VERSION of the module
#   KMF_SOURCE_TREE         the directory holding the module source as $KMF_NAME-$KMF_VERSION ($source_tree)
#   KMF_CONF                the dkms.conf to read (default: the one in that source)
#   KMF_WORK                where each kernel gets its own build tree
#   KMF_ARCH                the arch ($arch; default: uname -m)
#   KMF_JOBS                make -j<N> ($parallel_jobs; default 1)
#   KMF_MODDIR              the module trees' directory in the package (default /lib/modules)
#   KMF_KERNELS             kernels to build for, space-separated; else
#   KMF_FLAVORS             flavors: every installed kernel (with headers) whose release ends in one of
#                           them: "-<flavor>" after the ABI number, "+<flavor>" or ".<flavor>", or, in
#                           the scheme <version>-<release><flavor> (6.1.0-1host108), glued to the release
#                           number; else the running kernel
#   KMF_SIGN_KEY, KMF_SIGN_CERT  sign the modules with these (${kernelver} and ${arch} are expanded), using
#                           KMF_SIGN_FILE or the kernel's sign-file, for kernels with CONFIG_MODULE_SIG_HASH
#
# /etc/dkms/<module>*.conf overrides of the build host are not read: a package build depends on its
# sources only.
set -o nounset -o pipefail
shopt -s extglob

: "${KMF_ARCH:=$(uname -m)}"
: "${KMF_JOBS:=1}"
: "${KMF_MODDIR:=/lib/modules}"
: "${KMF_KERNELS:=}"
: "${KMF_FLAVORS:=}"
: "${KMF_SIGN_KEY:=}"
: "${KMF_SIGN_CERT:=}"
: "${KMF_SIGN_FILE:=}"

# Every directive dkms reads from dkms.conf, and kmodforge's own USERLAND_* (src/conf/directives.ts).
kmf_directives=(
  PACKAGE_NAME PACKAGE_VERSION BUILT_MODULE_NAME BUILT_MODULE_LOCATION DEST_MODULE_NAME
  DEST_MODULE_LOCATION STRIP MAKE MAKE_MATCH CLEAN PATCH PATCH_MATCH PRE_BUILD POST_BUILD POST_ADD
  PRE_INSTALL POST_INSTALL POST_REMOVE AUTOINSTALL BUILD_DEPENDS BUILD_DEPENDS_REBUILD
  BUILD_EXCLUSIVE_KERNEL BUILD_EXCLUSIVE_KERNEL_MIN BUILD_EXCLUSIVE_KERNEL_MAX BUILD_EXCLUSIVE_ARCH
  BUILD_EXCLUSIVE_CONFIG OBSOLETE_BY NO_WEAK_MODULES SIGN_FILE MOK_SIGNING_KEY MOK_CERTIFICATE
  REMAKE_INITRD MODULES_CONF MODULES_CONF_OBSOLETES MODULES_CONF_ALIAS_TYPE MODULES_CONF_OBSOLETE_ONLY
  USERLAND_BUILD USERLAND_FILE
)
kmf_deprecated=(REMAKE_INITRD MODULES_CONF MODULES_CONF_OBSOLETES MODULES_CONF_ALIAS_TYPE MODULES_CONF_OBSOLETE_ONLY)

# The variables dkms has set when it sources dkms.conf and runs make and the build scripts.
kmf_var_names=(
  kernelver arch kernel_source_dir kernel_config module module_version dkms_tree source_tree install_tree
  tmp_location parallel_jobs running_distribution current_kernel current_os
)

kmf_say() { printf 'kmod-build.sh: %s\n' "$*" >&2; }
kmf_die() {
  kmf_say "error: $*"
  exit 1
}
kmf_require() {
  local name
  for name in "$@"; do [[ -n ${!name:-} ]] || kmf_die "$name is not set"; done
}

# ---------------------------------------------------------------------------------------------------
# The system: distro, kernels, headers

# The value of KEY in an os-release style file (KEY=value, optionally quoted), without running it.
kmf_read_key() {
  local file=$1 key=$2 line value quote
  REPLY=''
  [[ -r $file ]] || return 0
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    [[ ${BASH_REMATCH[2]} == "$key" ]] || continue
    value=${BASH_REMATCH[3]%$'\r'}
    value=${value##+([[:space:]])}
    value=${value%%+([[:space:]])}
    quote=${value:0:1}
    if [[ ($quote == '"' || $quote == "'") && ${#value} -ge 2 && ${value: -1} == "$quote" ]]; then
      value=${value:1:${#value}-2}
      [[ $quote == '"' ]] && value=$(sed -E 's/\\(["\\$`])/\1/g' <<<"$value")
    fi
    REPLY=$value
  done <"$file"
}

# dkms's distro_version: os-release ID for Ubuntu, else the first ID_LIKE, else ID.
kmf_distro() {
  local file=/etc/os-release id like
  [[ -r $file ]] || file=/usr/lib/os-release
  kmf_read_key "$file" ID
  id=${REPLY:-unknown}
  kmf_read_key "$file" ID_LIKE
  read -r like _ <<<"$REPLY"
  if [[ $id == ubuntu ]]; then
    KMF_DISTRO=$id
  else
    KMF_DISTRO=${like:-$id}
  fi
  # Where the distro installs dkms modules, whatever DEST_MODULE_LOCATION says (override_dest_module_location).
  kmf_read_key /etc/sysconfig/module-init-tools ADDON_MODULES_DIR
  if [[ -n $REPLY ]]; then
    KMF_DEST_OVERRIDE=/$REPLY
  else
    case $KMF_DISTRO in
      fedora* | rhel* | ovm*) KMF_DEST_OVERRIDE=/extra ;;
      sles* | suse* | opensuse*) KMF_DEST_OVERRIDE=/updates ;;
      debian* | ubuntu* | arch*) KMF_DEST_OVERRIDE=/updates/dkms ;;
      *) KMF_DEST_OVERRIDE='' ;;
    esac
  fi
}

# Whether $1 is the build tree of kernel $2 in the seed's kernel-source layout, /usr/src/linux-<K>/, as
# kmodforge's discover.ts reads it: configured (include/ and a .config), and no
# include/config/kernel.release that names another release.
kmf_source_tree() {
  local dir=$1 k=$2 named
  [[ $k == [0-9]* && -d $dir/include && -f $dir/.config ]] || return 1
  [[ -f $dir/include/config/kernel.release ]] || return 0
  named=$(<"$dir/include/config/kernel.release")
  named=${named##+([[:space:]])}
  [[ ${named%%+([[:space:]])} == "$k" ]]
}

# Every installed kernel with headers: /lib/modules/<K>/build, /usr/src/kernels/<K> or /usr/src/linux-<K>.
kmf_installed_kernels() {
  local dir
  for dir in /lib/modules/* /usr/lib/modules/*; do
    [[ -d $dir/build/include ]] && printf '%s\n' "${dir##*/}"
  done
  for dir in /usr/src/kernels/*; do
    [[ -d $dir/include ]] && printf '%s\n' "${dir##*/}"
  done
  for dir in /usr/src/linux-[0-9]*; do
    kmf_source_tree "$dir" "${dir#/usr/src/linux-}" && printf '%s\n' "${dir#/usr/src/linux-}"
  done
  return 0
}

# Whether release $1 is of flavor $2, as kmodforge's parseKernelRelease reads the flavor:
# "6.1.0-56-rt-amd64" is rt-amd64 (not amd64), "…x86_64+rt" is rt; in the seed's scheme
# <version>-<release><flavor> the flavor is glued to the release number: "6.1.0-1host108" is host108,
# "2.4.18-14smp" smp, and Red Hat's 2.x tags come between ("2.6.9-42.ELsmp", "2.6.18-8.el5xen").
kmf_has_flavor() {
  local release=$1 flavor=$2
  [[ $release == *[0-9]-"$flavor" || $release == *+"$flavor" || $release == *."$flavor" ]] && return 0
  [[ $flavor == [A-Za-z]* ]] || return 1
  [[ $release == +([0-9]).+([0-9.])-+([0-9.])"$flavor" ||
    $release == 2.+([0-9.])-?(e.)+([0-9.])@(.EL|_FC+([0-9])|.fc+([0-9])|.el+([0-9])?(_+([0-9])))"$flavor" ]]
}

kmf_kernels() {
  local -a chosen=()
  local -A seen=()
  local k f
  if [[ -n ${KMF_KERNELS//[[:space:]]/} ]]; then
    for k in $KMF_KERNELS; do chosen+=("$k"); done
  elif [[ -n ${KMF_FLAVORS//[[:space:]]/} ]]; then
    local -a flavors
    read -r -a flavors <<<"$KMF_FLAVORS"
    while IFS= read -r k; do
      for f in "${flavors[@]}"; do
        if kmf_has_flavor "$k" "$f"; then
          chosen+=("$k")
          break
        fi
      done
    done < <(kmf_installed_kernels | sort -uV)
    ((${#chosen[@]} > 0)) ||
      kmf_die "no installed kernel with headers is of flavor ${flavors[*]} (kernels with headers: $(kmf_installed_kernels | sort -uV | tr '\n' ' '))"
  else
    chosen=("$(uname -r)")
  fi
  for k in "${chosen[@]}"; do
    [[ $k =~ ^[A-Za-z0-9._+-]+$ ]] || kmf_die "kernel release \"$k\" cannot be part of a package name"
    [[ -n ${seen[$k]:-} ]] && continue
    seen[$k]=1
    printf '%s\n' "$k"
  done
}

# Reads kernel $1's headers and .config: KMF_KSRC ($kernel_source_dir), KMF_HEADERS, KMF_KCONFIG, KMF_CFG.
declare -A KMF_CFG=()
kmf_kernel() {
  local k=$1 file line name value
  if [[ -d /lib/modules/$k/build/include ]]; then
    KMF_KSRC=/lib/modules/$k/build
  elif [[ -d /usr/src/kernels/$k/include ]]; then
    KMF_KSRC=/usr/src/kernels/$k
  elif kmf_source_tree "/usr/src/linux-$k" "$k"; then
    KMF_KSRC=/usr/src/linux-$k
  else
    kmf_die "no headers for kernel $k: none of /lib/modules/$k/build, /usr/src/kernels/$k and /usr/src/linux-$k (configured) has include/ (install the kernel's headers or devel package)"
  fi
  KMF_HEADERS=$(readlink -f "$KMF_KSRC")
  KMF_KCONFIG=''
  KMF_CFG=()
  for file in "$KMF_HEADERS/.config" "$KMF_HEADERS/include/config/auto.conf" "/boot/config-$k"; do
    [[ -r $file ]] || continue
    KMF_KCONFIG=$file
    while IFS= read -r line; do
      line=${line##+([[:space:]])}
      line=${line%%+([[:space:]])}
      [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]] || continue
      name=${BASH_REMATCH[1]}
      value=${BASH_REMATCH[2]}
      if [[ ${#value} -ge 2 && $value == \"*\" ]]; then
        value=${value:1:${#value}-2}
        value=${value//\\\"/\"}
      fi
      KMF_CFG[$name]=$value
    done <"$file"
    break
  done
}

kmf_config_on() {
  [[ ${KMF_CFG[$1]:-} == y || ${KMF_CFG[$1]:-} == m ]]
}

# How the kernel compresses its modules: sets KMF_COMPRESS (none gzip xz zstd) and KMF_SUFFIX.
kmf_compression() {
  if kmf_config_on CONFIG_MODULE_COMPRESS_ZSTD; then
    KMF_COMPRESS=zstd KMF_SUFFIX=.zst
  elif kmf_config_on CONFIG_MODULE_COMPRESS_XZ; then
    KMF_COMPRESS=xz KMF_SUFFIX=.xz
  elif kmf_config_on CONFIG_MODULE_COMPRESS_GZIP; then
    KMF_COMPRESS=gzip KMF_SUFFIX=.gz
  else
    KMF_COMPRESS=none KMF_SUFFIX=''
  fi
}

# ---------------------------------------------------------------------------------------------------
# dkms.conf

declare -A KMF_VAR=()
kmf_vars() {
  local k=$1
  KMF_TREE=$KMF_WORK/$k/tree
  # shellcheck disable=SC2153 # KMF_NAME comes from the environment (see the top)
  KMF_BUILD_DIR=$KMF_TREE/$KMF_NAME/$KMF_VERSION/build
  KMF_VAR=(
    [kernelver]=$k
    [arch]=$KMF_ARCH
    [kernel_source_dir]=$KMF_KSRC
    [kernel_config]=${KMF_KCONFIG:-$KMF_KSRC/.config}
    [module]=$KMF_NAME
    [module_version]=$KMF_VERSION
    [dkms_tree]=$KMF_TREE
    [source_tree]=$KMF_SOURCE_TREE
    [install_tree]=/lib/modules
    [tmp_location]=/tmp
    [parallel_jobs]=$KMF_JOBS
    [running_distribution]=$KMF_DISTRO
    [current_kernel]=$(uname -r)
    [current_os]=Linux
  )
}

# The program bash runs to read dkms.conf, as kmodforge's src/conf/eval-script.ts: dkms's variables set
# ("name=value" arguments after the file and whether it has CRLF line ends), the file sourced in a
# subshell with its stdout discarded (dkms's safe_source), only the directives carried out (through a
# file, not $(...): a background job the file starts would hold that pipe open and bash would wait for
# it); then every directive and bash's own =~ verdicts, NUL-separated.
# shellcheck disable=SC2016
kmf_conf_program='
__kmf_file=$1 __kmf_crlf=$2
shift 2
for __kmf_a in "$@"; do printf -v "${__kmf_a%%=*}" %s "${__kmf_a#*=}"; done
unset __kmf_a
set --
shopt -s extglob
__kmf_state_file=$(mktemp)
(
  exec >/dev/null
  if [[ $__kmf_crlf == 1 ]]; then . <(sed "s/\r\$//" "$__kmf_file"); else . "$__kmf_file"; fi
  __kmf_rc=$?
  { printf "KMF-SOURCED %s\n" "$__kmf_rc"; declare -p "${__kmf_names[@]}" 2>/dev/null; } >|"$__kmf_state_file"
)
__kmf_rc=$?
__kmf_next=$(<"$__kmf_state_file")
rm -f "$__kmf_state_file"
if [[ $__kmf_next != "KMF-SOURCED "* ]]; then printf "X\0%s\0%s\0" "$__kmf_file" "$__kmf_rc"; exit 0; fi
eval "${__kmf_next#*$'\''\n'\''}"
for __kmf_n in "${__kmf_names[@]}"; do
  declare -n __kmf_ref=$__kmf_n
  [[ -v __kmf_ref[@] ]] || { unset -n __kmf_ref; continue; }
  for __kmf_i in "${!__kmf_ref[@]}"; do
    [[ $__kmf_i =~ ^[0-9]+$ ]] && printf "V\0%s\0%s\0%s\0" "$__kmf_n" "$__kmf_i" "${__kmf_ref[$__kmf_i]}"
  done
  unset -n __kmf_ref
done
for __kmf_i in "${!MAKE_MATCH[@]}"; do [[ $kernelver =~ ${MAKE_MATCH[$__kmf_i]} ]]; printf "M\0MAKE_MATCH\0%s\0%s\0" "$__kmf_i" "$?"; done
for __kmf_i in "${!PATCH_MATCH[@]}"; do [[ $kernelver =~ ${PATCH_MATCH[$__kmf_i]} ]]; printf "M\0PATCH_MATCH\0%s\0%s\0" "$__kmf_i" "$?"; done
for __kmf_i in "${!BUILD_EXCLUSIVE_KERNEL[@]}"; do [[ $kernelver =~ ${BUILD_EXCLUSIVE_KERNEL[$__kmf_i]} ]]; printf "M\0BUILD_EXCLUSIVE_KERNEL\0%s\0%s\0" "$__kmf_i" "$?"; done
for __kmf_i in "${!BUILD_EXCLUSIVE_ARCH[@]}"; do [[ $arch =~ ${BUILD_EXCLUSIVE_ARCH[$__kmf_i]} ]]; printf "M\0BUILD_EXCLUSIVE_ARCH\0%s\0%s\0" "$__kmf_i" "$?"; done
printf "KMODFORGE-END\0"
'

# The base environment of everything run for a build: no CC/CFLAGS/MAKEFLAGS from rpmbuild leaking in.
kmf_env() {
  KMF_ENV=(PATH="$PATH" LC_ALL=C HOME="${HOME:-/root}")
  [[ -n ${KMF_CC:-} ]] && KMF_ENV+=(CC="$KMF_CC" KERNEL_CC="$KMF_CC")
  return 0
}

# Sources dkms.conf for the kernel in KMF_VAR, in a clean environment from /, into KMF_D ("NAME:index" →
# value), KMF_IDX (NAME → its indices) and KMF_M ("NAME:index" → =~ status).
declare -A KMF_D=() KMF_IDX=() KMF_M=()
kmf_read_conf() {
  local crlf=0 name tag n i v complete=0
  local -a args=()
  [[ -r $KMF_CONF ]] || kmf_die "cannot read $KMF_CONF"
  grep -q $'\r' "$KMF_CONF" && crlf=1
  for name in "${kmf_var_names[@]}"; do args+=("$name=${KMF_VAR[$name]}"); done
  KMF_D=() KMF_IDX=() KMF_M=()
  while IFS= read -r -d '' tag; do
    case $tag in
      V)
        IFS= read -r -d '' n
        IFS= read -r -d '' i
        IFS= read -r -d '' v
        KMF_D[$n:$i]=$v
        KMF_IDX[$n]="${KMF_IDX[$n]:-} $i"
        ;;
      M)
        IFS= read -r -d '' n
        IFS= read -r -d '' i
        IFS= read -r -d '' v
        KMF_M[$n:$i]=$v
        ;;
      X)
        IFS= read -r -d '' n
        IFS= read -r -d '' v
        kmf_die "$n: exited with status $v before its end when sourced by bash (a dkms.conf is sourced, not run: it must not call exit)"
        ;;
      KMODFORGE-END) complete=1 ;;
    esac
  done < <(cd / && env -i PATH="$PATH" LC_ALL=C HOME="${HOME:-/root}" bash --noprofile --norc -c \
    "__kmf_names=(${kmf_directives[*]})"$'\n'"$kmf_conf_program" dkms.conf "$KMF_CONF" "$crlf" "${args[@]}")
  ((complete)) || kmf_die "$KMF_CONF: bash stopped while reading it"
}

# REPLY = value NAME[index] as bash left it, trailing CRs removed (dkms 3.1.5+).
kmf_get() {
  REPLY=${KMF_D[$1:${2:-0}]:-}
  REPLY=${REPLY%%+($'\r')}
}

# REPLY = the indices NAME has, sorted.
kmf_indices() {
  local -a list
  read -r -a list <<<"${KMF_IDX[$1]:-}"
  REPLY=$(printf '%s\n' "${list[@]}" | sort -n | tr '\n' ' ')
}

# parseStrip: REPLY = yes, no, or '' for neither.
kmf_parse_strip() {
  case $1 in
    [nN]*) REPLY=no ;;
    [yY]*) REPLY=yes ;;
    *) REPLY='' ;;
  esac
}

# Compares kernel $1 with a bound such as "6.1", "5.15.0" or "6.1.0-20" as kmodforge's
# compareKernelBound: version parts (missing ones count as 0), the ABI number only when both have one.
# REPLY = -1, 0 or 1.
kmf_compare_bound() {
  local kv='' ka='' bv='' ba='' i a b
  [[ $1 =~ ^([0-9]+(\.[0-9]+)*)(-([0-9]+))? ]] && kv=${BASH_REMATCH[1]} ka=${BASH_REMATCH[4]}
  [[ $2 =~ ^([0-9]+(\.[0-9]+)*)(-([0-9]+))? ]] && bv=${BASH_REMATCH[1]} ba=${BASH_REMATCH[4]}
  local -a kp bp
  IFS=. read -r -a kp <<<"$kv"
  IFS=. read -r -a bp <<<"$bv"
  local n=$((${#kp[@]} > ${#bp[@]} ? ${#kp[@]} : ${#bp[@]}))
  for ((i = 0; i < n; i++)); do
    a=$((10#${kp[i]:-0})) b=$((10#${bp[i]:-0}))
    if ((a != b)); then
      REPLY=$((a < b ? -1 : 1))
      return
    fi
  done
  REPLY=0
  if [[ -n $ka && -n $ba ]] && ((10#$ka != 10#$ba)); then REPLY=$((10#$ka < 10#$ba ? -1 : 1)); fi
}

# Resolves dkms.conf for kernel $1 as kmodforge's src/conf/resolve.ts and exclusive.ts, dying on an
# invalid file. Sets KMF_EXCLUDED (why the kernel is kept out, or ''), the module records KMF_BUILT_NAME,
# KMF_BUILT_LOCATION, KMF_DEST_NAME, KMF_DEST_LOCATION and KMF_STRIP, KMF_MAKE_COMMAND, KMF_MAKE_INDEX,
# KMF_PATCHES, KMF_PRE_BUILD, KMF_POST_BUILD, the userland (KMF_USERLAND_BUILD, and KMF_USERLAND_SOURCE,
# KMF_USERLAND_DEST and KMF_USERLAND_MODE per USERLAND_FILE), and the kernel's facts (kmf_kernel,
# kmf_compression).
kmf_resolve() {
  local k=$1 i n name value count=0 last packageName packageVersion
  local -a problems=() indices
  kmf_kernel "$k"
  kmf_compression
  kmf_vars "$k"
  kmf_read_conf
  local where="$KMF_CONF (kernel $k)"

  kmf_get PACKAGE_NAME
  packageName=$REPLY
  kmf_get PACKAGE_VERSION
  packageVersion=$REPLY
  if [[ -z $packageName ]]; then
    problems+=('PACKAGE_NAME is not set')
  elif [[ ! $packageName =~ ^[^[:space:]/]+$ ]]; then
    problems+=("PACKAGE_NAME \"$packageName\" must not contain \"/\" or white space")
  fi
  if [[ -z $packageVersion ]]; then
    problems+=('PACKAGE_VERSION is not set')
  elif [[ ! $packageVersion =~ ^[^[:space:]/]+$ ]]; then
    problems+=("PACKAGE_VERSION \"$packageVersion\" must not contain \"/\" or white space")
  fi

  # Module records: one per index of any of the four record directives, numbered without gaps.
  for name in BUILT_MODULE_NAME BUILT_MODULE_LOCATION DEST_MODULE_NAME DEST_MODULE_LOCATION; do
    kmf_indices "$name"
    read -r -a indices <<<"$REPLY"
    for i in "${indices[@]}"; do ((i + 1 > count)) && count=$((i + 1)); done
    if ((${#indices[@]} > 1)); then
      last=${indices[-1]}
      local missing=''
      for ((n = 0; n < last; n++)); do [[ -v KMF_D[$name:$n] ]] || missing+="${missing:+, }$n"; done
      [[ -n $missing ]] &&
        problems+=("$name has entries [${indices[*]}] but none at $missing; module records must be numbered 0, 1, 2, … without gaps")
    fi
  done
  ((count == 0)) && problems+=('no module records; expected at least DEST_MODULE_LOCATION[0], e.g. DEST_MODULE_LOCATION[0]="/updates"')
  kmf_get STRIP 0
  kmf_parse_strip "$REPLY"
  local stripDefault=${REPLY:-yes}
  KMF_BUILT_NAME=() KMF_BUILT_LOCATION=() KMF_DEST_NAME=() KMF_DEST_LOCATION=() KMF_STRIP=()
  local -A builtSeen=() destSeen=()
  for ((i = 0; i < count; i++)); do
    kmf_get BUILT_MODULE_NAME "$i"
    local builtName=$REPLY
    [[ -z $builtName && $count -eq 1 ]] && builtName=$packageName
    kmf_get DEST_MODULE_NAME "$i"
    local rawDestName=$REPLY destName=${REPLY:-$builtName}
    kmf_get BUILT_MODULE_LOCATION "$i"
    local builtLocation=$REPLY
    [[ -n $builtLocation && $builtLocation != */ ]] && builtLocation+=/
    kmf_get DEST_MODULE_LOCATION "$i"
    local rawDest=$REPLY
    [[ -z $builtName ]] && problems+=("BUILT_MODULE_NAME[$i] is not set; expected the name make gives the module, without .ko")
    for name in BUILT_MODULE_NAME DEST_MODULE_NAME; do
      if [[ $name == BUILT_MODULE_NAME ]]; then value=$builtName; else value=$rawDestName; fi
      if [[ $value =~ \.k?o$ ]]; then
        problems+=("${name}[$i] \"$value\" ends in .o or .ko; expected the module name without the suffix")
      elif [[ $value == */* ]]; then
        problems+=("${name}[$i] \"$value\" contains \"/\"; expected a bare module name")
      fi
    done
    if [[ -z $rawDest ]]; then
      problems+=("DEST_MODULE_LOCATION[$i] is not set; expected /kernel/…, /updates/… or /extra/…")
    elif [[ $rawDest != /kernel* && $rawDest != /updates* && $rawDest != /extra* ]]; then
      problems+=("DEST_MODULE_LOCATION[$i] \"$rawDest\" does not begin with /kernel, /updates or /extra")
    elif [[ /$rawDest/ == */../* ]]; then
      problems+=("DEST_MODULE_LOCATION[$i] \"$rawDest\" contains \"..\"")
    fi
    kmf_get STRIP "$i"
    if [[ -z $REPLY ]]; then
      REPLY=$stripDefault
    else
      kmf_parse_strip "$REPLY"
      REPLY=${REPLY:-yes}
    fi
    KMF_STRIP+=("$REPLY")
    if [[ -n $builtName ]]; then
      if [[ -n ${builtSeen[$builtLocation$builtName]:-} ]]; then
        problems+=("BUILT_MODULE_NAME[$i] \"$builtName\" in \"${builtLocation:-.}\" is already module record #${builtSeen[$builtLocation$builtName]}")
      else
        builtSeen[$builtLocation$builtName]=$i
      fi
    fi
    if [[ -n $destName ]]; then
      if [[ -n ${destSeen[$destName]:-} ]]; then
        problems+=("DEST_MODULE_NAME[$i] \"$destName\" is already the name of module record #${destSeen[$destName]}")
      else
        destSeen[$destName]=$i
      fi
    fi
    KMF_BUILT_NAME+=("$builtName")
    KMF_BUILT_LOCATION+=("$builtLocation")
    KMF_DEST_NAME+=("$destName")
    KMF_DEST_LOCATION+=("${KMF_DEST_OVERRIDE:-$rawDest}")
  done

  # MAKE[0] unless MAKE_MATCH[0] is set; then every MAKE[i] whose MAKE_MATCH[i] matches, the last winning.
  KMF_MAKE_COMMAND='' KMF_MAKE_INDEX=''
  if [[ -z ${KMF_D[MAKE_MATCH:0]:-} ]]; then
    kmf_get MAKE 0
    [[ -n $REPLY ]] && KMF_MAKE_COMMAND=$REPLY KMF_MAKE_INDEX=0
  fi
  kmf_indices MAKE
  for i in $REPLY; do
    kmf_get MAKE "$i"
    if [[ -n $REPLY && -n ${KMF_D[MAKE_MATCH:$i]:-} && ${KMF_M[MAKE_MATCH:$i]:-} == 0 ]]; then
      KMF_MAKE_COMMAND=$REPLY KMF_MAKE_INDEX=$i
    fi
  done
  kmf_indices MAKE_MATCH
  for i in $REPLY; do
    [[ -v KMF_D[MAKE:$i] ]] || problems+=("MAKE_MATCH[$i] has no MAKE[$i] to go with it")
  done
  [[ -z $KMF_MAKE_COMMAND ]] && KMF_MAKE_COMMAND="make -C $KMF_KSRC M=$KMF_BUILD_DIR"

  # PATCH[i] whose PATCH_MATCH[i] is empty or matches, in order.
  KMF_PATCHES=()
  kmf_indices PATCH
  for i in $REPLY; do
    kmf_get PATCH "$i"
    [[ -z $REPLY ]] && continue
    if [[ -z ${KMF_D[PATCH_MATCH:$i]:-} || ${KMF_M[PATCH_MATCH:$i]:-} == 0 ]]; then KMF_PATCHES+=("$REPLY"); fi
  done

  kmf_userland_files problems

  for name in AUTOINSTALL BUILD_DEPENDS_REBUILD NO_WEAK_MODULES; do
    kmf_get "$name"
    case ${REPLY,,} in
      '' | yes | no) ;;
      *) problems+=("$name \"$REPLY\" is not valid; expected yes, no or empty") ;;
    esac
  done
  for n in "${!KMF_M[@]}"; do
    [[ ${KMF_M[$n]} == 2 ]] && problems+=("${n%:*}[${n##*:}] \"${KMF_D[$n]:-}\" is not a valid regular expression (bash =~ rejected it)")
  done
  if ((${#problems[@]} > 0)); then
    kmf_say "error: $where is invalid:"
    printf '  %s\n' "${problems[@]}" >&2
    exit 1
  fi

  for name in "${kmf_deprecated[@]}"; do
    [[ -n ${KMF_IDX[$name]:-} ]] && kmf_say "warning: deprecated feature: $name ($KMF_CONF)"
  done
  kmf_get BUILD_DEPENDS
  [[ -n $REPLY ]] &&
    kmf_say "warning: BUILD_DEPENDS ($REPLY): a package build has no other dkms modules; building without their symbols"
  kmf_get PRE_BUILD
  KMF_PRE_BUILD=$REPLY
  kmf_get POST_BUILD
  KMF_POST_BUILD=$REPLY
  kmf_get USERLAND_BUILD
  KMF_USERLAND_BUILD=$REPLY
  kmf_exclusion "$k"
}

# USERLAND_FILE[i]="<path in the source>:<absolute path on the system>[:<octal mode>]", as kmodforge's
# resolveUserland: KMF_USERLAND_SOURCE, KMF_USERLAND_DEST and KMF_USERLAND_MODE (four octal digits);
# what is wrong goes to the problems array named by $1.
kmf_userland_files() {
  local -n kmf_problems=$1
  local i value rest source dest mode
  local -a fields
  local expected='expected "<path in the source>:<absolute path on the system>[:<octal mode>]"'
  KMF_USERLAND_SOURCE=() KMF_USERLAND_DEST=() KMF_USERLAND_MODE=()
  kmf_indices USERLAND_FILE
  for i in $REPLY; do
    kmf_get USERLAND_FILE "$i"
    value=$REPLY rest=$REPLY fields=()
    while [[ $rest == *:* ]]; do
      fields+=("${rest%%:*}")
      rest=${rest#*:}
    done
    fields+=("$rest")
    source=${fields[0]} dest=${fields[1]:-} mode=0644
    ((${#fields[@]} > 2)) && mode=${fields[2]}
    if ((${#fields[@]} > 3)) || [[ -z $source || -z $dest ]]; then
      kmf_problems+=("USERLAND_FILE[$i] \"$value\": $expected")
    elif [[ $source == /* || /$source/ == */../* ]]; then
      kmf_problems+=("USERLAND_FILE[$i] \"$source\" must be a path inside the source")
    elif [[ $dest != /* || /$dest/ == */../* || $dest == */ ]]; then
      kmf_problems+=("USERLAND_FILE[$i] \"$dest\" must be an absolute file path without \"..\"")
    elif [[ ! $mode =~ ^0?[0-7]{3}$ ]]; then
      kmf_problems+=("USERLAND_FILE[$i] \"$mode\" is not an octal file mode such as 0755")
    else
      KMF_USERLAND_SOURCE+=("$source")
      KMF_USERLAND_DEST+=("$dest")
      KMF_USERLAND_MODE+=("$(printf '%04o' "$((8#$mode))")")
    fi
  done
}

# BUILD_EXCLUSIVE_* (and OBSOLETE_BY) as kmodforge's planExclusion: KMF_EXCLUDED = the first reason, or ''.
kmf_exclusion() {
  local k=$1 regex min max archRegex config obsolete item name negated enabled
  KMF_EXCLUDED=''
  kmf_get BUILD_EXCLUSIVE_KERNEL
  regex=$REPLY
  kmf_get BUILD_EXCLUSIVE_KERNEL_MIN
  min=$REPLY
  kmf_get BUILD_EXCLUSIVE_KERNEL_MAX
  max=$REPLY
  kmf_get BUILD_EXCLUSIVE_ARCH
  archRegex=$REPLY
  kmf_get BUILD_EXCLUSIVE_CONFIG
  config=$REPLY
  kmf_get OBSOLETE_BY
  obsolete=$REPLY
  if [[ -n $regex && ${KMF_M[BUILD_EXCLUSIVE_KERNEL:0]:-} != 0 ]]; then
    KMF_EXCLUDED="kernel $k does not match BUILD_EXCLUSIVE_KERNEL=\"$regex\""
    return
  fi
  if [[ -n $min ]]; then
    kmf_compare_bound "$k" "$min"
    ((REPLY < 0)) && KMF_EXCLUDED="kernel $k is older than BUILD_EXCLUSIVE_KERNEL_MIN=\"$min\"" && return
  fi
  if [[ -n $max ]]; then
    kmf_compare_bound "$k" "$max"
    ((REPLY > 0)) && KMF_EXCLUDED="kernel $k is newer than BUILD_EXCLUSIVE_KERNEL_MAX=\"$max\"" && return
  fi
  if [[ -n $archRegex && ${KMF_M[BUILD_EXCLUSIVE_ARCH:0]:-} != 0 ]]; then
    KMF_EXCLUDED="arch $KMF_ARCH does not match BUILD_EXCLUSIVE_ARCH=\"$archRegex\""
    return
  fi
  if [[ -n $config && -n $KMF_KCONFIG ]]; then
    for item in $config; do
      negated=no name=$item
      [[ $item == '!'* ]] && negated=yes name=${item:1}
      if kmf_config_on "$name"; then enabled=yes; else enabled=no; fi
      if [[ $enabled == "$negated" ]]; then
        if [[ $enabled == yes ]]; then enabled=enabled; else enabled=disabled; fi
        if [[ $negated == yes ]]; then negated=disabled; else negated=enabled; fi
        KMF_EXCLUDED="kernel $k has $name $enabled, BUILD_EXCLUSIVE_CONFIG=\"$config\" needs it $negated"
        return
      fi
    done
  fi
  if [[ -n $obsolete && -z $max ]]; then
    kmf_compare_bound "$k" "$obsolete"
    ((REPLY > 0)) && KMF_EXCLUDED="kernel $k is newer than OBSOLETE_BY=\"$obsolete\", which makes this module obsolete"
  fi
  return 0
}

# ---------------------------------------------------------------------------------------------------
# Building

# Runs a bash script in the build directory with dkms's variables set (kmodforge's runLoggedBash).
kmf_bash() {
  local program='' name quoted
  for name in "${kmf_var_names[@]}"; do
    printf -v quoted %q "${KMF_VAR[$name]}"
    program+="$name=$quoted"$'\n'
  done
  printf -v quoted %q "$KMF_BUILD_DIR"
  program+="cd $quoted || exit 15"$'\n'"$1"
  (cd "$KMF_BUILD_DIR" && env -i "${KMF_ENV[@]}" bash --noprofile --norc -c "$program")
}

# PRE_BUILD/POST_BUILD: a path relative to the build directory, word-split; skipped when not executable.
kmf_build_script() {
  local kind=$1 script=$2 executable
  executable=$KMF_BUILD_DIR/${script%% *}
  if [[ ! -x $executable ]]; then
    kmf_say "warning: the ${kind,,} script $executable is not executable; not running it"
    return 0
  fi
  kmf_say "running $kind: $script"
  kmf_bash "exec ./$script" || kmf_die "the $kind script $script failed (exit code $?)"
}

# The compiler the kernel was built with (CONFIG_CC_VERSION_TEXT), when on PATH; none for clang kernels.
kmf_kernel_cc() {
  local text=${KMF_CFG[CONFIG_CC_VERSION_TEXT]:-} first
  KMF_CC=''
  kmf_config_on CONFIG_CC_IS_CLANG && return 0
  first=${text%% *}
  [[ -n $first && $first =~ ^[A-Za-z0-9_.+-]+$ ]] && command -v "$first" >/dev/null 2>&1 && KMF_CC=$first
  return 0
}

# dkms's make command: a leading "make" gets -j<N> KERNELRELEASE=<K>; clang kernels get LLVM=1, the
# default command the kernel's compiler.
kmf_make_command() {
  local k=$1 jobs=-j
  ((KMF_JOBS > 0)) && jobs=-j$KMF_JOBS
  KMF_MAKE=$KMF_MAKE_COMMAND
  [[ $KMF_MAKE == make* ]] && KMF_MAKE="make $jobs KERNELRELEASE=$k${KMF_MAKE:4}"
  if kmf_config_on CONFIG_CC_IS_CLANG; then
    KMF_MAKE+=' LLVM=1'
  elif [[ -z $KMF_MAKE_INDEX && -n $KMF_CC ]]; then
    KMF_MAKE+=" CC=$KMF_CC"
  fi
}

# The key and certificate for kernel $1 when signing is asked for and the kernel checks signatures;
# sets KMF_SIGN (sign-file hash key cert) or leaves it empty.
kmf_signing() {
  local k=$1 key cert candidate hash=${KMF_CFG[CONFIG_MODULE_SIG_HASH]:-}
  # The settings may name ${kernelver} and ${arch}, as dkms's do: these texts, not variables.
  local kernelver_ref="\${kernelver}" arch_ref="\${arch}"
  KMF_SIGN=()
  [[ -z $KMF_SIGN_KEY && -z $KMF_SIGN_CERT ]] && return 0
  [[ -n $KMF_SIGN_KEY && -n $KMF_SIGN_CERT ]] || kmf_die "kmod_sign_key and kmod_sign_cert go together; only one is defined"
  if [[ -z $KMF_KCONFIG ]] || ! kmf_config_on CONFIG_MODULE_SIG || [[ -z $hash ]]; then
    kmf_say "not signing for $k: the kernel does not check module signatures (no CONFIG_MODULE_SIG_HASH)"
    return 0
  fi
  key=${KMF_SIGN_KEY//"$kernelver_ref"/$k}
  key=${key//"$arch_ref"/$KMF_ARCH}
  cert=${KMF_SIGN_CERT//"$kernelver_ref"/$k}
  cert=${cert//"$arch_ref"/$KMF_ARCH}
  [[ -r $key || $key == pkcs11:* ]] || kmf_die "cannot read the signing key $key"
  [[ -r $cert ]] || kmf_die "cannot read the signing certificate $cert"
  for candidate in ${KMF_SIGN_FILE:+"$KMF_SIGN_FILE"} "/usr/lib/linux-kbuild-${k%.*}/scripts/sign-file" "$KMF_HEADERS/scripts/sign-file"; do
    if [[ -x $candidate ]]; then
      KMF_SIGN=("$candidate" "$hash" "$key" "$cert")
      return 0
    fi
    [[ -n $KMF_SIGN_FILE ]] && break
  done
  kmf_die "no sign-file program for $k (looked for ${KMF_SIGN_FILE:-/usr/lib/linux-kbuild-${k%.*}/scripts/sign-file and $KMF_HEADERS/scripts/sign-file})"
}

kmf_build() {
  local k=$1 i patch built file strip=strip
  kmf_require KMF_NAME KMF_VERSION KMF_SOURCE_TREE KMF_WORK
  kmf_resolve "$k"
  [[ -n $KMF_EXCLUDED ]] && kmf_die "$KMF_NAME/$KMF_VERSION is not built for $k: $KMF_EXCLUDED"
  kmf_kernel_cc
  kmf_env
  kmf_make_command "$k"
  kmf_signing "$k"
  local work=$KMF_WORK/$k source
  source=$(readlink -f "$KMF_SOURCE_TREE/$KMF_NAME-$KMF_VERSION") || kmf_die "no source at $KMF_SOURCE_TREE/$KMF_NAME-$KMF_VERSION"
  kmf_say "building $KMF_NAME/$KMF_VERSION for $k ($KMF_ARCH) in $KMF_BUILD_DIR"
  # The build's own tree: <tree>/M/V/source, the source; <tree>/M/V/build, a copy to build in.
  rm -rf "$work"
  mkdir -p "${KMF_BUILD_DIR%/build}" || kmf_die "cannot create $KMF_BUILD_DIR"
  ln -s "$source" "${KMF_BUILD_DIR%/build}/source"
  cp -R -P --preserve=mode,timestamps "$source" "$KMF_BUILD_DIR" || kmf_die "cannot copy $source"

  for patch in "${KMF_PATCHES[@]}"; do
    [[ $patch == /* || /$patch/ == */../* ]] &&
      kmf_die "PATCH \"$patch\" must name a file inside the patches/ directory, without \"..\" or a leading \"/\""
    [[ -e $KMF_BUILD_DIR/patches/$patch ]] ||
      kmf_die "patch $patch as specified in dkms.conf cannot be found in $KMF_BUILD_DIR/patches/"
    kmf_say "applying patch $patch"
    printf -v file %q "$patch"
    kmf_bash "patch -p1 < ./patches/$file" || kmf_die "applying patch $patch failed"
  done
  [[ -n $KMF_PRE_BUILD ]] && kmf_build_script PRE_BUILD "$KMF_PRE_BUILD"

  kmf_say "$KMF_MAKE"
  printf -v file %q "$KMF_MAKE"
  kmf_bash "eval $file" || kmf_die "make failed for $k (exit code $?): $KMF_MAKE"
  for i in "${!KMF_BUILT_NAME[@]}"; do
    built=$KMF_BUILD_DIR/${KMF_BUILT_LOCATION[i]}${KMF_BUILT_NAME[i]}.ko
    [[ -f $built ]] ||
      kmf_die "make succeeded but ${KMF_BUILT_LOCATION[i]}${KMF_BUILT_NAME[i]}.ko was not built; check BUILT_MODULE_NAME[$i] and BUILT_MODULE_LOCATION[$i]"
  done

  # Strip, sign, compress: the kernel's order.
  kmf_config_on CONFIG_CC_IS_CLANG && strip=llvm-strip
  mkdir -p "$work/finished"
  : >"$work/finished/manifest"
  for i in "${!KMF_BUILT_NAME[@]}"; do
    file=$work/finished/$i/${KMF_DEST_NAME[i]}.ko
    mkdir -p "${file%/*}"
    cp "$KMF_BUILD_DIR/${KMF_BUILT_LOCATION[i]}${KMF_BUILT_NAME[i]}.ko" "$file" || kmf_die "cannot copy the module"
    if [[ ${KMF_STRIP[i]} == yes ]]; then
      "$strip" -g "$file" || kmf_die "$strip -g $file failed"
    fi
    if ((${#KMF_SIGN[@]} > 0)); then
      kmf_say "signing ${file##*/} with ${KMF_SIGN[0]} ${KMF_SIGN[1]}"
      "${KMF_SIGN[@]}" "$file" || kmf_die "signing $file failed"
    fi
    case $KMF_COMPRESS in
      gzip) gzip -n -f "$file" ;;
      xz) xz --check=crc32 --lzma2=dict=1MiB -f "$file" ;;
      zstd) zstd -q -T0 --rm -f "$file" ;;
      none) true ;;
    esac || kmf_die "compressing $file ($KMF_COMPRESS) failed"
    printf '%s\t%s\n' "${KMF_DEST_LOCATION[i]}" "$file$KMF_SUFFIX" >>"$work/finished/manifest"
  done
  [[ -n $KMF_POST_BUILD ]] && kmf_build_script POST_BUILD "$KMF_POST_BUILD"
  return 0
}

kmf_install() {
  local k=$1 destdir=$2 location file
  local manifest=$KMF_WORK/$k/finished/manifest
  [[ -r $manifest ]] || kmf_die "$KMF_NAME/$KMF_VERSION is not built for $k (no $manifest)"
  while IFS=$'\t' read -r location file; do
    {
      mkdir -p "$destdir$KMF_MODDIR/$k$location" &&
        cp "$file" "$destdir$KMF_MODDIR/$k$location/" &&
        chmod 0644 "$destdir$KMF_MODDIR/$k$location/${file##*/}"
    } || kmf_die "cannot install $file"
  done <"$manifest"
}

# Runs USERLAND_BUILD once in a copy of the source, in a clean environment as kmodforge's stageUserland,
# and stages each USERLAND_FILE in $KMF_WORK/userland/stage at its path on the system, ELF files stripped.
kmf_build_userland() {
  local k=$1 i source dir stage from to kind magic
  kmf_require KMF_NAME KMF_VERSION KMF_SOURCE_TREE KMF_WORK
  kmf_resolve "$k"
  source=$(readlink -f "$KMF_SOURCE_TREE/$KMF_NAME-$KMF_VERSION") || kmf_die "no source at $KMF_SOURCE_TREE/$KMF_NAME-$KMF_VERSION"
  dir=$KMF_WORK/userland/source
  stage=$KMF_WORK/userland/stage
  rm -rf "$KMF_WORK/userland"
  mkdir -p "$KMF_WORK/userland" "$stage" || kmf_die "cannot create $KMF_WORK/userland"
  cp -R -P --preserve=mode,timestamps "$source" "$dir" || kmf_die "cannot copy $source"
  if [[ -n $KMF_USERLAND_BUILD ]]; then
    kmf_say "running USERLAND_BUILD: $KMF_USERLAND_BUILD"
    (cd "$dir" && env -i PATH="$PATH" LC_ALL=C HOME="${HOME:-/root}" bash --noprofile --norc -c "$KMF_USERLAND_BUILD") ||
      kmf_die "$KMF_NAME/$KMF_VERSION: USERLAND_BUILD \"$KMF_USERLAND_BUILD\" failed (exit code $?)"
  fi
  for i in "${!KMF_USERLAND_SOURCE[@]}"; do
    from=$dir/${KMF_USERLAND_SOURCE[i]}
    to=$stage${KMF_USERLAND_DEST[i]}
    # A link could lead the chmod and strip below to any file of the machine that builds the package.
    if [[ ! -e $from && ! -L $from ]]; then
      kind='does not exist after USERLAND_BUILD'
    elif [[ -L $from || ! -f $from ]]; then
      kind='is not a regular file'
    else
      kind=''
    fi
    [[ -z $kind ]] || kmf_die "$KMF_NAME/$KMF_VERSION: USERLAND_FILE ${KMF_USERLAND_SOURCE[i]} $kind"
    { mkdir -p "${to%/*}" && cp "$from" "$to" && chmod "${KMF_USERLAND_MODE[i]}" "$to"; } ||
      kmf_die "cannot stage ${KMF_USERLAND_SOURCE[i]}"
    magic=''
    LC_ALL=C IFS= read -r -d '' -n 4 magic <"$to"
    if [[ $magic == $'\x7fELF' ]]; then
      strip --strip-unneeded --remove-section=.comment --remove-section=.note "$to" || kmf_die "strip $to failed"
    fi
  done
  return 0
}

kmf_install_userland() {
  local destdir=$1 stage=$KMF_WORK/userland/stage
  [[ -d $stage ]] || kmf_die "the userland of $KMF_NAME/$KMF_VERSION is not built (no $stage)"
  { mkdir -p "$destdir" && cp -R --preserve=mode "$stage/." "$destdir/"; } || kmf_die "cannot install the userland"
}

kmf_plan() {
  local k i userland=0
  local -a kernels
  kmf_require KMF_NAME KMF_VERSION
  mapfile -t kernels < <(kmf_kernels) || exit 1
  ((${#kernels[@]} > 0)) || exit 1
  for k in "${kernels[@]}"; do
    kmf_resolve "$k"
    if [[ -n $KMF_EXCLUDED ]]; then
      printf 'excluded\t%s\t%s\n' "$k" "$KMF_EXCLUDED"
      continue
    fi
    printf 'build\t%s\n' "$k"
    for i in "${!KMF_DEST_NAME[@]}"; do
      printf 'module\t%s\t%s\t%s\t%s\n' "$k" "${KMF_DEST_NAME[i]}" "${KMF_DEST_LOCATION[i]}" "$KMF_SUFFIX"
    done
    # The userland is built once, from dkms.conf as the first kernel built reads it (as kmodforge's mkrpm).
    if ((!userland)); then
      userland=1
      for i in "${!KMF_USERLAND_DEST[@]}"; do
        printf 'userland\t%s\t%s\t%s\n' "$k" "${KMF_USERLAND_DEST[i]}" "${KMF_USERLAND_MODE[i]}"
      done
    fi
  done
}

# What dkms.conf means for kernel $1, tab-separated: the exclusion, MAKE's index and command, the make
# command run, the patches, each module record and the build scripts.
kmf_show() {
  local k=$1 i
  kmf_require KMF_NAME KMF_VERSION
  kmf_resolve "$k"
  kmf_kernel_cc
  kmf_make_command "$k"
  printf 'excluded\t%s\n' "$KMF_EXCLUDED"
  printf 'make_directive\t%s\t%s\n' "$KMF_MAKE_INDEX" "$KMF_MAKE_COMMAND"
  printf 'make\t%s\n' "$KMF_MAKE"
  for i in "${KMF_PATCHES[@]}"; do printf 'patch\t%s\n' "$i"; done
  for i in "${!KMF_BUILT_NAME[@]}"; do
    printf 'module\t%s\t%s\t%s\t%s\t%s\t%s\n' "$i" "${KMF_BUILT_NAME[i]}" "${KMF_BUILT_LOCATION[i]}" \
      "${KMF_DEST_NAME[i]}" "${KMF_DEST_LOCATION[i]}" "${KMF_STRIP[i]}"
  done
  printf 'pre_build\t%s\npost_build\t%s\n' "$KMF_PRE_BUILD" "$KMF_POST_BUILD"
  printf 'userland_build\t%s\n' "$KMF_USERLAND_BUILD"
  for i in "${!KMF_USERLAND_SOURCE[@]}"; do
    printf 'userland\t%s\t%s\t%s\n' "${KMF_USERLAND_SOURCE[i]}" "${KMF_USERLAND_DEST[i]}" "${KMF_USERLAND_MODE[i]}"
  done
}

# ---- main
kmf_distro
: "${KMF_SOURCE_TREE:=$PWD}"
: "${KMF_WORK:=$KMF_SOURCE_TREE/_kmod_build}"
: "${KMF_CONF:=$KMF_SOURCE_TREE/${KMF_NAME:-}-${KMF_VERSION:-}/dkms.conf}"

case ${1:-} in
  kernels) kmf_kernels ;;
  plan) kmf_plan ;;
  explain)
    plan=$(kmf_plan) || exit 1
    built=0
    while IFS=$'\t' read -r what k reason; do
      [[ $what == excluded ]] && kmf_say "no package for $k: $reason"
      [[ $what == build ]] && built=1
    done <<<"$plan"
    ((built)) || kmf_die "no kernel to build $KMF_NAME/$KMF_VERSION for"
    ;;
  resolve)
    [[ $# -eq 2 ]] || kmf_die "usage: $0 resolve <kernel>"
    kmf_show "$2"
    ;;
  build)
    [[ $# -eq 2 ]] || kmf_die "usage: $0 build <kernel>"
    kmf_build "$2"
    ;;
  install)
    [[ $# -eq 3 ]] || kmf_die "usage: $0 install <kernel> <destdir>"
    kmf_install "$2" "$3"
    ;;
  build-userland)
    [[ $# -eq 2 ]] || kmf_die "usage: $0 build-userland <kernel>"
    kmf_build_userland "$2"
    ;;
  install-userland)
    [[ $# -eq 2 ]] || kmf_die "usage: $0 install-userland <destdir>"
    kmf_install_userland "$2"
    ;;
  *) kmf_die "usage: $0 kernels | plan | explain | resolve <kernel> | build <kernel> | install <kernel> <destdir> | build-userland <kernel> | install-userland <destdir>" ;;
esac
