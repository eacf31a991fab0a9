# The machine running the build (x86-64 CI hosts, developer laptops).
BOARD_DESC := host build, runs the tests natively (with ASan+UBSan under make test)
CROSS_COMPILE ?=
BOARD_CFLAGS ?=
TEST_RUNNER ?=
