// `runlet-zygote`: the small process that clones the sandboxes of `runlet serve`
// (sandbox/zygote.h). Started by the server alone, its socket at fd 3; a static
// binary, so that every sandbox's init, a copy of it, has a small memory map.
#include "sandbox/zygote.h"

int main(int argc, char** argv) { return runlet::sandbox::ZygoteProgramMain(argc, argv); }
