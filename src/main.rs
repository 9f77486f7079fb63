fn main() -> std::process::ExitCode {
    xanh::cli::main()
}
