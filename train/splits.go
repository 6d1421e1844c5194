package train

// LoadSplits loads a dataset's training and test splits with load
// (LoadFashionMNIST, LoadCIFAR).
func LoadSplits[D Dataset](load func(dir string, trainSplit bool) (D, error), dir string) (trainSet, testSet D, err error) {
	if trainSet, err = load(dir, true); err != nil {
		return trainSet, testSet, err
	}
	testSet, err = load(dir, false)
	return trainSet, testSet, err
}
