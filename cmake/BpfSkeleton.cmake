# tcpulse_bpf_skeleton(<target> SOURCE <file.bpf.c> NAME <skeleton name> HEADER <out.skel.h>
#                      [DEFINES <macro>...])
# Compiles a BPF C source with clang and generates a libbpf skeleton header that embeds the ELF,
# so no .o is ever loaded by path. clang's depfile makes the rule depend on every header the
# source includes (a stale skeleton is a silent ABI bug).
find_program(BPF_CLANG clang REQUIRED)
find_program(BPFTOOL bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)
# clang -target bpf needs the multiarch include dir for <asm/...>.
execute_process(COMMAND uname -m OUTPUT_VARIABLE BPF_ARCH OUTPUT_STRIP_TRAILING_WHITESPACE)

function(tcpulse_bpf_skeleton target)
  cmake_parse_arguments(ARG "" "SOURCE;NAME;HEADER" "DEFINES" ${ARGN})
  get_filename_component(src ${ARG_SOURCE} ABSOLUTE)
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.bpf.o)
  set(defs)
  foreach(d ${ARG_DEFINES})
    list(APPEND defs -D${d})
  endforeach()
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${BPF_CLANG} -target bpf -g -O2 -Wall -Werror ${defs}
            -I${PROJECT_SOURCE_DIR}/tc-bpf/include -I/usr/include/${BPF_ARCH}-linux-gnu
            -MD -MF ${obj}.d -c ${src} -o ${obj}
    DEPENDS ${src}
    DEPFILE ${obj}.d
    COMMENT "BPF ${ARG_NAME}"
    VERBATIM)
  get_filename_component(header_dir ${ARG_HEADER} DIRECTORY)
  add_custom_command(
    OUTPUT ${ARG_HEADER}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${header_dir}
    COMMAND sh -c "${BPFTOOL} gen skeleton ${obj} name ${ARG_NAME} > ${ARG_HEADER}.tmp && mv ${ARG_HEADER}.tmp ${ARG_HEADER}"
    DEPENDS ${obj}
    COMMENT "skeleton ${ARG_NAME}"
    VERBATIM)
  add_custom_target(${target} DEPENDS ${ARG_HEADER})
endfunction()
