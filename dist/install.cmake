# What `cmake --install` puts where (included from the top CMakeLists.txt).
# Paths follow GNUInstallDirs, so `cmake --install build --prefix /usr` and
# debhelper's multiarch libdir both work. tests/e2e/install_tree.sh installs
# into a scratch prefix and checks the tree.
include(GNUInstallDirs)

set(WARD_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
    "Where systemd units go (relative to the prefix, or absolute)")
set(WARD_SYSUSERSDIR "lib/sysusers.d" CACHE STRING
    "Where the sysusers.d file creating the ward user goes")

install(TARGETS ward RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS ward_static ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS ward_shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY include/ward DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# pkg-config: a program links -lward; a static link also needs every library
# libward uses, which pkg_check_modules has already resolved (DEPS_LDFLAGS).
list(JOIN DEPS_LDFLAGS " " WARD_PC_LIBS_PRIVATE)
# The prefix is filled in at install time (dist/install_time.cmake).
configure_file(${PROJECT_SOURCE_DIR}/dist/ward.pc.in ${PROJECT_BINARY_DIR}/ward.pc.in @ONLY)

# Man pages from the built-in manuals: regenerated whenever ward is relinked.
add_custom_command(
  OUTPUT ${PROJECT_BINARY_DIR}/man/ward.1
  COMMAND sh ${PROJECT_SOURCE_DIR}/scripts/help2man.sh $<TARGET_FILE:ward> ${PROJECT_BINARY_DIR}/man
  DEPENDS ward ${PROJECT_SOURCE_DIR}/scripts/help2man.sh
  COMMENT "Man pages from ward's built-in manuals")
add_custom_target(ward_man ALL DEPENDS ${PROJECT_BINARY_DIR}/man/ward.1)
install(DIRECTORY ${PROJECT_BINARY_DIR}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
        FILES_MATCHING PATTERN "*.1")

install(FILES ${PROJECT_SOURCE_DIR}/dist/bash-completion.sh
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME ward)

# systemd units name the installed binary and ward.pc the prefix, so they
# are written at install time, when the prefix is known (cmake --install
# --prefix may change it).
file(GLOB WARD_UNIT_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/dist/systemd/*)
install(CODE "set(WARD_UNIT_SOURCES \"${WARD_UNIT_SOURCES}\")
set(WARD_OUT \"${PROJECT_BINARY_DIR}\")
set(WARD_BINDIR \"${CMAKE_INSTALL_BINDIR}\")")
install(SCRIPT ${PROJECT_SOURCE_DIR}/dist/install_time.cmake)
install(FILES ${PROJECT_BINARY_DIR}/ward.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(DIRECTORY ${PROJECT_BINARY_DIR}/units/ DESTINATION ${WARD_SYSTEMD_UNITDIR}
        FILES_MATCHING PATTERN "*.service" PATTERN "*.timer")
install(FILES ${PROJECT_SOURCE_DIR}/dist/sysusers.conf
        DESTINATION ${WARD_SYSUSERSDIR} RENAME ward.conf)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/dist/examples/
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES ${PROJECT_SOURCE_DIR}/examples/embed.c DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/dist/monitoring/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/ward/monitoring)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/deploy.md
        ${PROJECT_SOURCE_DIR}/docs/cli.md ${PROJECT_SOURCE_DIR}/docs/serve.md
        ${PROJECT_SOURCE_DIR}/docs/security.md ${PROJECT_SOURCE_DIR}/docs/releases.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
