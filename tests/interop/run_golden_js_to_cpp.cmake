# ctest driver for interop.golden_js_to_cpp: node writes the golden frames with
# @clasp-to/core, then interop_golden_tests decodes and re-encodes each one.
foreach(var NODE SCRIPT GOLDEN TEST_BIN)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_golden_js_to_cpp.cmake needs -D${var}=...")
  endif()
endforeach()
get_filename_component(script_dir ${SCRIPT} DIRECTORY)
execute_process(COMMAND ${NODE} ${SCRIPT} ${GOLDEN}
                WORKING_DIRECTORY ${script_dir}
                RESULT_VARIABLE encode_rc)
if(NOT encode_rc EQUAL 0)
  message(FATAL_ERROR "golden_encode.js failed (${encode_rc})")
endif()
execute_process(COMMAND ${TEST_BIN} ${GOLDEN} RESULT_VARIABLE test_rc)
if(NOT test_rc EQUAL 0)
  message(FATAL_ERROR "interop_golden_tests failed (${test_rc}) on ${GOLDEN}")
endif()
