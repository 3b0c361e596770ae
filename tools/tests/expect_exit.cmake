# cmake -DPROGRAM=... -DEXPECTED_EXIT=N -DARGS="a;b;c" [-DEXPECTED_OUTPUT=regex]
#       [-DEMPTY_DIR=dir] [-DNO_FILE=path] -P expect_exit.cmake
# Runs PROGRAM with ARGS, shows its output, and fails unless it exits with
# exactly EXPECTED_EXIT, its output (stdout and stderr) matches
# EXPECTED_OUTPUT, EMPTY_DIR is missing or empty, and NO_FILE does not exist.
# "<space>" in ARGS stands for a space (CMake drops trailing ones from -D).
string(REPLACE "<space>" " " ARGS "${ARGS}")
string(REPLACE "<space>" " " NO_FILE "${NO_FILE}")
execute_process(COMMAND ${PROGRAM} ${ARGS} RESULT_VARIABLE exit_code
                OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(NOT exit_code STREQUAL EXPECTED_EXIT)
  message(FATAL_ERROR "`${PROGRAM} ${ARGS}` exited with ${exit_code}, expected ${EXPECTED_EXIT}")
endif()
if(EXPECTED_OUTPUT AND NOT out MATCHES "${EXPECTED_OUTPUT}")
  message(FATAL_ERROR "the output of `${PROGRAM} ${ARGS}` does not match \"${EXPECTED_OUTPUT}\"")
endif()
if(EMPTY_DIR AND EXISTS "${EMPTY_DIR}")
  file(GLOB left "${EMPTY_DIR}/*")
  if(left)
    message(FATAL_ERROR "`${PROGRAM} ${ARGS}` left files behind in ${EMPTY_DIR}: ${left}")
  endif()
endif()
if(NOT NO_FILE STREQUAL "" AND EXISTS "${NO_FILE}")
  message(FATAL_ERROR "`${PROGRAM} ${ARGS}` made \"${NO_FILE}\"")
endif()
