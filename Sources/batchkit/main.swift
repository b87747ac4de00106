import BatchKitCLI
import Foundation

exit(await BatchKitCLI.main(Array(CommandLine.arguments.dropFirst())))
