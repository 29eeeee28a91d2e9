from hedgelab.cli import main

main()
