# Shared by the scripts: the repository root and the number of build jobs.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${JOBS:-$(nproc)}"
# ccache (CMakeLists.txt uses it when installed): paths relative to the checkout, so that every
# clone of the repository shares the cache, and the test programs' precompiled header cached too.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$ROOT}"
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
